"""``python manage.py service_desk_user --username NAME``: a service desk login for the admin.

The login is staff, a member of the Service desk group and not a superuser. The password comes
from ``SERVICE_DESK_PASSWORD``, or is generated and printed alone on the last line.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from maintenance.roles import ServiceDeskUserError, set_service_desk_user


class Command(BaseCommand):
    help = "Create (or reset) a service desk login for the admin's Maintenance section."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)

    def handle(self, *args, username: str, **options):
        try:
            user, generated, created = set_service_desk_user(
                username=username, password=os.environ.get("SERVICE_DESK_PASSWORD") or None
            )
        except ServiceDeskUserError as exc:
            raise CommandError(str(exc)) from exc
        done = "created" if created else "reset"
        self.stdout.write(f"service desk login {user.username!r} {done}; log in at /admin/")
        if generated:
            self.stdout.write(generated)
