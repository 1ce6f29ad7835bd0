"""Nobody gets in where they do not belong, and no secret leaks.

- the OMS API: a forged ``X-Forwarded-For`` from an untrusted peer, a request replayed after
  the skew window, a revoked key, another system's key: each refused with its E-code, nothing
  changed;
- the seller screen: seller A against every URL of seller B (orders, items, timeline, CSV);
- the admin: seller staff are kept out of every admin page;
- secrets (API keys in clear, ``SECRET_KEY``, ``CREDENTIALS_ENCRYPTION_KEY``) appear neither in
  the logs of a run of pushes, key issue and revocation and a refresh, nor in a database dump;
- ``DEBUG`` is off unless the environment turns it on.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from demo_oms.server import OmsServer
from maintenance.credentials import create_system, issue_key, revoke_key
from maintenance.models import RequestLog
from maintenance.refresh import refresh_status_details
from maintenance.signing import query_string
from omsapi.client import signed_parameters
from orders.accounts import set_seller_user
from orders.models import ItemHistory, OrderItem
from tests.conftest import require_postgresql

pytestmark = [pytest.mark.e2e]

OMS_IP = "203.0.113.10"
BASE_DIR = Path(settings.BASE_DIR)


def push(key: str, *, ip: str = OMS_IP, service: str = "OMS", now=None, **meta):
    params = signed_parameters(
        service_name=service, api_key=key, action="UpdateItemsStatus", now=now
    )
    body = {
        "Request": {
            "Items": [
                {
                    "id_sales_order_item": 610_001,
                    "item_status": "shipped",
                    "shipping_carrier": "DHL",
                    "tracking_code": "SEC-1",
                }
            ]
        }
    }
    response = Client().generic(
        "POST",
        "/oms-api/?" + query_string(params),
        data=json.dumps(body).encode(),
        content_type="application/json",
        REMOTE_ADDR=ip,
        **meta,
    )
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)
    envelope = document.get("SuccessResponse") or document["ErrorResponse"]
    return response.status_code, envelope["Head"].get("ErrorCode", "ok")


def unchanged() -> bool:
    item = OrderItem.objects.get(id_sales_order_item=610_001)
    return item.status == "pending" and ItemHistory.objects.count() == 0


@pytest.fixture
def oms(db, make_items):
    make_items(1, first_id=610_001)
    return create_system(service_name="OMS", networks=[OMS_IP])


# --- the OMS API -------------------------------------------------------------------------------


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(oms, settings):
    # given a proxy at 10.0.0.5 that is trusted, and a stranger at 198.18.0.1 that is not
    settings.TRUSTED_PROXIES = ["10.0.0.5"]

    # when the stranger claims to forward for the whitelisted address
    forged = push(oms.secret, ip="198.18.0.1", HTTP_X_FORWARDED_FOR=OMS_IP)

    # then it is refused as itself, and nothing changed
    assert forged == (403, "9")
    assert unchanged()
    assert RequestLog.objects.get().client_ip == "198.18.0.1"

    # while the same header from the trusted proxy is believed
    assert push(oms.secret, ip="10.0.0.5", HTTP_X_FORWARDED_FOR=OMS_IP) == (200, "ok")
    assert OrderItem.objects.get(id_sales_order_item=610_001).status == "shipped"


def test_a_request_replayed_after_the_skew_window_is_refused(oms):
    # given a request signed 310 seconds ago (and one signed 310 seconds ahead)
    past = datetime.now(UTC) - timedelta(seconds=310)
    future = datetime.now(UTC) + timedelta(seconds=310)

    # when they arrive now
    answers = [push(oms.secret, now=past), push(oms.secret, now=future)]

    # then both are refused as expired, changing nothing
    assert answers == [(400, "3"), (400, "3")]
    assert unchanged()
    # and the same request signed within the window goes through
    assert push(oms.secret, now=datetime.now(UTC) - timedelta(seconds=240)) == (200, "ok")


def test_a_revoked_key_is_refused(oms):
    # given a second key, and the first one revoked
    second = issue_key(credential=oms.api_key.credential)
    revoke_key(api_key=oms.api_key)

    # when the OMS signs with the revoked key
    answer = push(oms.secret)

    # then the signature does not match, nothing changed; the live key still works
    assert answer == (401, "7")
    assert unchanged()
    assert push(second.secret) == (200, "ok")


def test_another_systems_key_is_refused(oms):
    # given a second system, with its own key and whitelist
    other = create_system(service_name="OTHER-OMS", networks=["198.51.100.7"])

    # when its key is used in the name of OMS, or for itself from OMS's address
    as_oms = push(other.secret)
    as_itself = push(other.secret, service="OTHER-OMS")

    # then both are refused and nothing changed
    assert as_oms == (401, "7")
    assert as_itself == (403, "9")
    assert unchanged()


# --- the seller screen -------------------------------------------------------------------------


def test_seller_a_gets_404_on_every_url_of_seller_b(db, seller, other_seller, make_items):
    # given an order of each seller, and seller A's staff logged in
    [mine] = make_items(1, first_id=620_001)
    [theirs] = make_items(1, first_id=620_002, order_seller=other_seller)
    user, _ = set_seller_user(seller_code=seller.code, username="a-clerk", password="pw-a-123456")
    client = Client()
    client.force_login(user)
    theirs_number = theirs.order.order_number

    # when A asks for B's order, item timeline and order export
    addresses = [
        f"/orders/{theirs_number}/",
        f"/orders/{theirs_number}/export.csv",
        f"/items/{theirs.id_sales_order_item}/",
    ]
    answers = {address: client.get(address).status_code for address in addresses}

    # then each is 404, exactly as for an order that does not exist
    assert answers == dict.fromkeys(addresses, 404)
    assert client.get("/orders/NO-SUCH-ORDER/").status_code == 404
    # and A's list, search and full export never show B's order
    listing = client.get("/").content.decode()
    search = client.get("/", {"q": theirs_number}).content.decode()
    export = b"".join(client.get("/export.csv").streaming_content).decode()
    assert mine.order.order_number in listing and mine.order.order_number in export
    for page in (listing, search):  # (the search box shows what was typed, nothing more)
        assert f"/orders/{theirs_number}/" not in page
        assert str(theirs.id_sales_order_item) not in page
    assert theirs_number not in export and str(theirs.id_sales_order_item) not in export
    assert "No orders" in search or mine.order.order_number not in search
    # while A's own addresses answer
    assert client.get(f"/orders/{mine.order.order_number}/").status_code == 200
    assert client.get(f"/items/{mine.id_sales_order_item}/").status_code == 200


def test_seller_staff_are_kept_out_of_every_admin_page(db, seller):
    # given seller staff logged in
    user, _ = set_seller_user(seller_code=seller.code, username="a-clerk", password="pw-a-123456")
    client = Client()
    client.force_login(user)
    addresses = [
        "/admin/",
        "/admin/maintenance/",
        "/admin/maintenance/systemcredential/",
        "/admin/maintenance/systemcredential/add/",
        "/admin/maintenance/requestlog/",
        "/admin/maintenance/configurationparameter/",
        "/admin/orders/orderitem/",
        "/admin/auth/user/",
    ]

    # when they open admin pages
    answers = {address: client.get(address) for address in addresses}

    # then every one sends them to the admin login, showing nothing of the page
    for address, response in answers.items():
        assert response.status_code == 302, address
        assert response["Location"].startswith("/admin/login/"), address


# --- secrets -----------------------------------------------------------------------------------


def secrets_of(*keys: str) -> list[str]:
    return [*keys, settings.SECRET_KEY, *settings.CREDENTIALS_ENCRYPTION_KEYS]


class Recorder(logging.Handler):
    """Every record, formatted as a log file would hold it (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.names.add(record.name)


@pytest.fixture
def recorder():
    handler = Recorder()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_secrets_are_absent_from_the_logs(oms, recorder, capsys):
    # given every log record captured at DEBUG, and a demo OMS to refresh from
    keys = [oms.secret]
    server = OmsServer(key=lambda: keys[-1]).start()
    try:
        # when keys are issued (service and command), pushes are made with good and bad keys,
        # a key is revoked and the status details are refreshed
        out = io.StringIO()
        call_command("oms_credentials", "issue-key", "--service", "OMS", stdout=out)
        keys.append(out.getvalue().strip().splitlines()[-1])
        statuses = [push(keys[0])[0], push(keys[1])[0], push("not-" + keys[1])[0]]
        credential = oms.api_key.credential
        credential.oms_url = server.url
        credential.save()
        refresh_status_details(credential=credential)
        call_command("oms_credentials", "revoke-key", "--service", "OMS", "--prefix", keys[0][:8])
        statuses.append(push(keys[0])[0])
    finally:
        server.stop()

    # then the run happened, and no secret is in any log record or on standard error
    assert statuses == [200, 200, 401, 401]
    logged = "\n".join(recorder.lines)
    assert {"maintenance.refresh", "django.request"} <= recorder.names  # the run was logged
    captured = capsys.readouterr()
    for secret in secrets_of(*keys):
        assert secret not in logged
        assert secret not in captured.err


@pytest.mark.django_db(transaction=True)
def test_secrets_are_absent_from_a_database_dump(make_items, tmp_path):
    # given systems with keys issued, rotated and revoked, pushes made and a staff login
    require_postgresql()
    make_items(1, first_id=610_001)
    first = create_system(service_name="OMS", networks=[OMS_IP])
    second = issue_key(credential=first.api_key.credential)
    revoke_key(api_key=first.api_key)
    assert push(second.secret) == (200, "ok")
    assert push(first.secret) == (401, "7")
    Client().login(username="nobody", password="x")

    # when the database is dumped whole
    database = connection.settings_dict
    environment = {**os.environ, "PGPASSWORD": database["PASSWORD"] or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--host",
            database["HOST"] or "127.0.0.1",
            "--port",
            str(database["PORT"] or 5432),
            "--username",
            database["USER"],
            "--data-only",
            database["NAME"],
        ],
        env=environment,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout.decode()

    # then the keys are in it only encrypted, and no other secret is in it at all
    assert "OMS" in dump and first.api_key.prefix in dump
    for secret in secrets_of(first.secret, second.secret):
        assert secret not in dump


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path):
    # given the environment of a deployment that does not mention DEBUG
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    program = (
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    )

    def run(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", program],
            cwd=BASE_DIR,
            env={**environment, "DJANGO_SETTINGS_MODULE": "sellercenter.settings", **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )

    # when settings are loaded: as they are, with DEBUG on, and with no secrets anywhere
    default = run()
    on = run(DEBUG="1")
    empty_var = tmp_path / "var"
    empty_var.mkdir()
    without_secrets = run(
        SELLERCENTER_VAR_DIR=str(empty_var), SECRET_KEY="", CREDENTIALS_ENCRYPTION_KEY=""
    )

    # then DEBUG is off by default, and off it refuses to start without its secrets
    assert (default.returncode, default.stdout.strip()) == (0, "False"), default.stderr
    assert (on.returncode, on.stdout.strip()) == (0, "True"), on.stderr
    assert without_secrets.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in without_secrets.stderr
