"""The operating interfaces: oms_credentials, oms_push and the reference client against a real
HTTP server; the request log's pruning; the schema."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from maintenance.config import REQUEST_LOG_RETENTION_DAYS
from maintenance.models import ApiKey, ConfigurationParameter, RequestLog, SystemCredential
from maintenance.request_log import prune_request_log
from omsapi.client import send
from orders.models import OrderItem
from tests.omsapi.conftest import shipped

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_oms_credentials_create_issue_and_revoke():
    # create: the key alone on the last line, stored only encrypted
    out = run(
        "oms_credentials",
        "create",
        "--service",
        "OMS",
        "--ip",
        "127.0.0.1",
        "--ip",
        "2001:db8::/32",
        "--oms-url",
        "http://127.0.0.1:9/oms",
    )
    first_key = out.strip().splitlines()[-1]
    credential = SystemCredential.objects.get(service_name="OMS")
    assert credential.active and credential.oms_url == "http://127.0.0.1:9/oms"
    assert sorted(credential.networks.values_list("network", flat=True)) == [
        "127.0.0.1/32",
        "2001:db8::/32",
    ]
    (row,) = ApiKey.objects.all()
    assert first_key.startswith(row.prefix)
    assert first_key not in row.encrypted_key
    # issue-key: a second active key
    second_key = run("oms_credentials", "issue-key", "--service", "OMS").strip().splitlines()[-1]
    assert second_key != first_key
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 2
    # revoke-key: by prefix
    run("oms_credentials", "revoke-key", "--service", "OMS", "--prefix", first_key[:8])
    assert list(
        ApiKey.objects.filter(revoked_at__isnull=True).values_list("prefix", flat=True)
    ) == [second_key[:8]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "--service", "OMS", "--ip", "10.0.0.5/24"), "10.0.0.5/24 has host bits set"),
        (("create", "--service", "bad name", "--ip", "10.0.0.5"), "A service name is"),
        (
            ("create", "--service", "OMS", "--ip", "0.0.0.0/0"),
            "0.0.0.0/0 would let the whole internet in",
        ),
        (("create", "--service", "OMS", "--ip", "::/0"), "::/0 would let the whole internet in"),
        (("issue-key", "--service", "NOPE"), "no system named 'NOPE'"),
        (("revoke-key", "--service", "NOPE", "--prefix", "abc"), "no system named 'NOPE'"),
    ],
)
def test_oms_credentials_bad_input_changes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run("oms_credentials", *args)
    assert SystemCredential.objects.count() == 0
    assert ApiKey.objects.count() == 0


def test_the_reference_client_against_a_live_server(live_server, oms, make_items):
    # given a real HTTP server and the system's key
    make_items(1, first_id=11)
    oms.credential.networks.create(network="127.0.0.1")
    url = f"{live_server.url}/oms-api/"
    # when the reference client signs and sends
    answer = send(
        url=url,
        service_name="OMS",
        api_key=oms.key,
        action="UpdateItemsStatus",
        body={"Request": {"Items": [shipped(11)]}},
    )
    # then the item is shipped, and the answer is the envelope
    assert answer.status == 200, answer.text
    assert answer.json["SuccessResponse"]["Head"]["RequestAction"] == "UpdateItemsStatus"
    assert OrderItem.objects.get(id_sales_order_item=11).status == "shipped"
    answer = send(
        url=url,
        service_name="OMS",
        api_key=oms.key,
        action="GetItemsStatus",
        body={"Request": {"Items": [{"id_sales_order_item": 11}]}},
        extra_params={"IncludeHistory": "1"},
    )
    item = answer.json["SuccessResponse"]["Body"]["Items"][0]
    assert (item["item_status"], len(item["History"])) == ("shipped", 1)
    assert RequestLog.objects.filter(client_ip="127.0.0.1", http_status=200).count() == 2


def test_oms_push_signs_with_the_key_from_the_environment(live_server, oms, make_items, tmp_path):
    make_items(1, first_id=11)
    oms.credential.networks.create(network="127.0.0.1")
    body = tmp_path / "ship.json"
    body.write_text(json.dumps({"Request": {"Items": [shipped(11)]}}))
    command = [
        sys.executable,
        "manage.py",
        "oms_push",
        str(body),
        "--url",
        f"{live_server.url}/oms-api/",
        "--service",
        "OMS",
        "--action",
        "UpdateItemsStatus",
    ]
    env = {**os.environ, "OMS_API_KEY": oms.key}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HTTP 200\n")
    assert oms.key not in done.stdout + done.stderr
    assert OrderItem.objects.get(id_sales_order_item=11).status == "shipped"


def test_oms_push_without_a_key_fails_clearly(tmp_path):
    body = tmp_path / "b.json"
    body.write_text("{}")
    env = {k: v for k, v in os.environ.items() if k != "OMS_API_KEY"}
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "oms_push",
            str(body),
            "--url",
            "http://127.0.0.1:9/",
            "--service",
            "OMS",
            "--action",
            "UpdateItemsStatus",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "CommandError: OMS_API_KEY is not set: put the system's API key in it"
    )


@pytest.mark.django_db
def test_prune_request_log_keeps_the_configured_days():
    now = timezone.now()
    ConfigurationParameter.objects.create(name=REQUEST_LOG_RETENTION_DAYS, value="7")
    for age in (1, 6, 8, 30):
        RequestLog.objects.create(
            created_at=now - timedelta(days=age), http_status=200, outcome="accepted"
        )
    assert prune_request_log(now=now) == 2
    assert sorted(
        (now - c).days for c in RequestLog.objects.values_list("created_at", flat=True)
    ) == [1, 6]


@pytest.mark.django_db
def test_the_schema_is_served_and_describes_the_signing(client):
    response = client.get("/oms-api/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operation = schema["paths"]["/oms-api/"]["post"]
    assert [p["name"] for p in operation["parameters"]] == [
        "Action",
        "ServiceName",
        "Timestamp",
        "Version",
        "Signature",
        "IncludeHistory",
    ]
    assert "HMAC-SHA256" in schema["components"]["securitySchemes"]["signature"]["description"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403", "413", "429", "503"}
