"""``python manage.py import_orders PATH``: load orders from a JSON Lines file (``-``: stdin)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from orders.importing import ImportFileError, import_orders


class Command(BaseCommand):
    help = (
        "Load orders from a JSON Lines file, one order per line ('-' reads standard input). "
        "Orders already present are left as they are; a bad line loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the JSON Lines file, or - for standard input")

    def handle(self, *args, path: str, **options):
        try:
            if path == "-":
                report = import_orders(sys.stdin)
            else:
                with open(path, encoding="utf-8") as handle:
                    report = import_orders(handle)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text: {exc.reason}") from exc
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}; nothing was loaded") from exc
        self.stdout.write(report.summary())
