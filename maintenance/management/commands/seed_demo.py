"""``python manage.py seed_demo``: the demo data of the quick start (``make run``).

A service desk login, a login for each of two sellers, orders in every status (loaded through
``import_orders``, so items carry no history), and the system credential "DEMO-OMS" of the
bundled demo OMS, whitelisted on loopback, with the URL where the demo OMS serves its status
detail options. The system's API key is written to ``var/demo_oms_key`` (readable by the owner
only) for the demo OMS to sign with.

Safe to run twice: orders already present are left as they are, logins get their demo password
again, and the key in the file is kept while it is still an active key of the system.

The demo passwords are fixed and printed on purpose: this is demo data for one machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo_oms.scenario import SELLERS, SERVICE_NAME, demo_orders
from maintenance.credentials import CredentialError, active_keys, create_system, issue_key
from maintenance.models import (
    SystemCredential,
    WhitelistedNetwork,
    normalize_network,
    oms_url_validator,
)
from maintenance.roles import ServiceDeskUserError, set_service_desk_user
from orders.accounts import AccountError, set_seller_user
from orders.importing import ImportFileError, import_orders
from orders.models import Seller

DEMO_NETWORKS = ("127.0.0.1", "::1")
SERVICE_DESK_LOGIN = ("servicedesk", "servicedesk-demo")
SELLER_LOGINS = {"acme-shoes": ("acme", "acme-demo"), "bolt-bags": ("bolt", "bolt-demo")}


def write_secret(path: Path, secret: str) -> None:
    """Write ``secret`` to ``path`` readable by the owner only, replacing it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class Command(BaseCommand):
    help = "Make the demo data of the quick start (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--oms-url",
            default=os.environ.get("DEMO_OMS_URL", "http://127.0.0.1:8001/"),
            help="where the demo OMS serves getStatusDetailOptionList (default %(default)s)",
        )
        parser.add_argument(
            "--key-file",
            type=Path,
            default=Path(settings.VAR_DIR) / "demo_oms_key",
            help="where to write the demo OMS's API key (default %(default)s)",
        )

    def handle(self, *args, oms_url: str, key_file: Path, **options):
        try:
            oms_url_validator(oms_url)
        except Exception as exc:
            raise CommandError(f"--oms-url {oms_url!r} is not an http or https URL") from exc
        try:
            with transaction.atomic():
                for code, name in SELLERS.items():
                    Seller.objects.get_or_create(code=code, defaults={"name": name})
                lines = [json.dumps(order) for order in demo_orders(timezone.now())]
                report = import_orders(lines)
                set_service_desk_user(
                    username=SERVICE_DESK_LOGIN[0], password=SERVICE_DESK_LOGIN[1]
                )
                for code, (username, password) in SELLER_LOGINS.items():
                    set_seller_user(seller_code=code, username=username, password=password)
                key_state = self.demo_system(oms_url=oms_url, key_file=key_file)
        except (ImportFileError, ServiceDeskUserError, AccountError, CredentialError) as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(f"orders: {report.summary()}")
        self.stdout.write(
            f"system credential {SERVICE_NAME}: OMS URL {oms_url}, key {key_state} ({key_file})"
        )
        self.stdout.write("demo logins (demo passwords, for this machine only):")
        self.stdout.write(
            f"  service desk: {SERVICE_DESK_LOGIN[0]} / {SERVICE_DESK_LOGIN[1]}  (/admin/)"
        )
        for code, (username, password) in SELLER_LOGINS.items():
            self.stdout.write(f"  seller {code}: {username} / {password}  (/)")

    def demo_system(self, *, oms_url: str, key_file: Path) -> str:
        """Make or repair the demo OMS's system credential; how its key came about."""
        credential = SystemCredential.objects.filter(service_name=SERVICE_NAME).first()
        if credential is None:
            issued = create_system(
                service_name=SERVICE_NAME, networks=list(DEMO_NETWORKS), oms_url=oms_url
            )
            write_secret(key_file, issued.secret)
            return "issued"
        if credential.oms_url != oms_url or not credential.active:
            credential.oms_url = oms_url
            credential.active = True
            credential.save(update_fields=["oms_url", "active", "updated_at"])
        for network in DEMO_NETWORKS:
            WhitelistedNetwork.objects.get_or_create(
                credential=credential, network=normalize_network(network)
            )
        try:
            stored = key_file.read_text().strip()
        except OSError:
            stored = ""
        if stored and stored in {secret for _, secret in active_keys(credential)}:
            return "kept"
        issued = issue_key(credential=credential)
        write_secret(key_file, issued.secret)
        return "issued"
