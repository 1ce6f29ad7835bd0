"""``python manage.py oms_credentials create | issue-key | revoke-key`` (operations.md).

``create`` makes an active system credential with its whitelisted IPs and first API key;
``issue-key`` adds a key (rotation); ``revoke-key`` revokes one by its prefix. A new key is
printed alone on the last line of standard output, and nowhere else: it is stored encrypted.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from maintenance.credentials import (
    CredentialError,
    create_system,
    find_system,
    issue_key,
    revoke_key,
)
from maintenance.models import ApiKey


class Command(BaseCommand):
    help = "Manage the system credentials of the OMS API: create, issue-key, revoke-key."

    def add_arguments(self, parser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        create = commands.add_parser("create", help="create a system with its first key")
        create.add_argument("--service", required=True, metavar="NAME")
        create.add_argument(
            "--ip", action="append", required=True, metavar="ADDR_OR_CIDR", dest="ips"
        )
        create.add_argument("--oms-url", default="", metavar="URL")
        issue = commands.add_parser("issue-key", help="issue one more active key")
        issue.add_argument("--service", required=True, metavar="NAME")
        revoke = commands.add_parser("revoke-key", help="revoke one key")
        revoke.add_argument("--service", required=True, metavar="NAME")
        revoke.add_argument("--prefix", required=True, metavar="PREFIX")

    def handle(self, *args, **options) -> None:
        try:
            with transaction.atomic():
                getattr(self, "_" + options["subcommand"].replace("-", "_"))(options)
        except CredentialError as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, options) -> None:
        issued = create_system(
            service_name=options["service"], networks=options["ips"], oms_url=options["oms_url"]
        )
        credential = issued.api_key.credential
        networks = ", ".join(credential.networks.values_list("network", flat=True))
        self.stdout.write(
            f"Created system {credential.service_name} (whitelisted: {networks}) "
            f"with key {issued.api_key.prefix}; the key follows, shown this once:"
        )
        self.stdout.write(issued.secret)

    def _issue_key(self, options) -> None:
        credential = find_system(options["service"])
        issued = issue_key(credential=credential)
        self.stdout.write(
            f"Issued key {issued.api_key.prefix} for {credential.service_name}; "
            "the older keys stay active until revoked. The key, shown this once:"
        )
        self.stdout.write(issued.secret)

    def _revoke_key(self, options) -> None:
        credential = find_system(options["service"])
        api_key = ApiKey.objects.filter(credential=credential, prefix=options["prefix"]).first()
        if api_key is None:
            raise CredentialError(
                f"{credential.service_name} has no key with prefix {options['prefix']!r}"
            )
        revoke_key(api_key=api_key)
        self.stdout.write(f"Revoked key {api_key.prefix} of {credential.service_name}.")
