"""``python manage.py seller_user --seller CODE --username NAME``: a seller staff login.

The password comes from ``SELLER_USER_PASSWORD``, or is generated and printed alone on the
last line.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from orders.accounts import AccountError, set_seller_user


class Command(BaseCommand):
    help = "Create (or reset) a seller staff login for the order management screen."

    def add_arguments(self, parser):
        parser.add_argument("--seller", required=True, help="the seller's code")
        parser.add_argument("--username", required=True)

    def handle(self, *args, seller: str, username: str, **options):
        try:
            user, generated = set_seller_user(
                seller_code=seller,
                username=username,
                password=os.environ.get("SELLER_USER_PASSWORD") or None,
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"seller staff login {user.username!r} for seller {seller!r} is ready")
        if generated:
            self.stdout.write(generated)
