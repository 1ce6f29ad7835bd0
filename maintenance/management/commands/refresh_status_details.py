"""``python manage.py refresh_status_details [--service NAME]``: refresh the status detail
options now, in the foreground.

One attempt per system (every active system with an OMS URL, or the one named), each reported
on its own line: options added, changed and deactivated, or why it failed. Exits non-zero when
any failed. A refresh of the same system running elsewhere (the worker) is waited for.
"""

from django.core.management.base import BaseCommand, CommandError

from maintenance.models import SystemCredential
from maintenance.refresh import (
    LOCK_SECONDS,
    RefreshBusy,
    RefreshFailed,
    refresh_lock,
    refresh_status_details,
)


class Command(BaseCommand):
    help = "Refresh the status detail options from each OMS now and print the outcome."

    def add_arguments(self, parser):
        parser.add_argument("--service", metavar="NAME", help="only this system (its ServiceName)")

    def handle(self, *args, service: str | None = None, **options):
        if service is not None:
            credential = SystemCredential.objects.filter(service_name=service).first()
            if credential is None:
                raise CommandError(f"no system named {service!r}")
            credentials = [credential]
        else:
            credentials = list(
                SystemCredential.objects.filter(active=True).exclude(oms_url="").order_by("pk")
            )
            if not credentials:
                self.stdout.write("no active system has an OMS URL: nothing to refresh")
                return
        failed = 0
        for credential in credentials:
            name = credential.service_name
            try:
                with refresh_lock(credential.pk, wait_seconds=LOCK_SECONDS):
                    refresh = refresh_status_details(credential=credential, trigger="command")
            except RefreshBusy:
                failed += 1
                self.stdout.write(f"{name}: failed: another refresh kept running")
            except RefreshFailed as failure:
                failed += 1
                self.stdout.write(f"{name}: failed: {failure.reason}")
            else:
                self.stdout.write(
                    f"{name}: {refresh.added} added, {refresh.changed} changed, "
                    f"{refresh.deactivated} deactivated"
                )
        if failed:
            raise CommandError(f"{failed} of {len(credentials)} refreshes failed")
