"""Fixtures and helpers shared by the admin tests (no tests here).

Users: a service desk login made by the same service as ``service_desk_user``, a seller staff
login, a superuser. Systems are made through ``maintenance.credentials``; request log rows are
written directly, as the OMS API writes them in production.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.core.management import call_command
from django.test import Client

from maintenance import credentials
from maintenance.models import RequestLog, RequestOutcome, SystemCredential
from maintenance.roles import set_service_desk_user
from orders.accounts import set_seller_user

PASSWORD = "correct horse battery staple"


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def desk_user(db, settings):
    # Strong hashing is a second of CPU per login made; what these tests check is elsewhere.
    settings.PASSWORD_HASHERS = FAST_HASHERS
    user, _, _ = set_service_desk_user(username="desk", password=PASSWORD)
    return user


@pytest.fixture
def desk_client(desk_user) -> Client:
    client = Client()
    client.force_login(desk_user)
    return client


@pytest.fixture
def seller_client(db, seller, settings) -> Client:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    user, _ = set_seller_user(seller_code=seller.code, username="shop", password=PASSWORD)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def system(db) -> SystemCredential:
    issued = credentials.create_system(
        service_name="OMS", networks=["203.0.113.10"], oms_url="http://127.0.0.1:9/oms"
    )
    return issued.api_key.credential


def log_request(
    *,
    created_at: datetime,
    service_name: str = "OMS",
    client_ip: str = "203.0.113.10",
    action: str = "UpdateItemsStatus",
    http_status: int = 200,
    error_code: str = "",
    outcome: str = RequestOutcome.ACCEPTED,
    reason: str = "",
    api_key_prefix: str = "",
    item_errors: list | None = None,
    items_received: int = 0,
    items_refused: int = 0,
) -> RequestLog:
    return RequestLog.objects.create(
        created_at=created_at,
        service_name=service_name,
        client_ip=client_ip,
        action=action,
        http_status=http_status,
        error_code=error_code,
        outcome=outcome,
        reason=reason,
        api_key_prefix=api_key_prefix,
        item_errors=item_errors or [],
        items_received=items_received,
        items_refused=items_refused,
    )


def credential_form(
    *,
    service_name: str = "OMS",
    active: bool = True,
    oms_url: str = "",
    networks: tuple[str, ...] = (),
    existing: tuple[tuple[int, str], ...] = (),
    api_keys: int = 0,
) -> dict[str, str]:
    """The POST of the system credential form with its inlines (``existing``: (id, network))."""
    data = {
        "service_name": service_name,
        "oms_url": oms_url,
        "networks-TOTAL_FORMS": str(len(existing) + len(networks)),
        "networks-INITIAL_FORMS": str(len(existing)),
        "networks-MIN_NUM_FORMS": "0",
        "networks-MAX_NUM_FORMS": "1000",
        "api_keys-TOTAL_FORMS": str(api_keys),
        "api_keys-INITIAL_FORMS": str(api_keys),
        "api_keys-MIN_NUM_FORMS": "0",
        "api_keys-MAX_NUM_FORMS": "1000",
    }
    if active:
        data["active"] = "on"
    for index, (pk, network) in enumerate(existing):
        data[f"networks-{index}-id"] = str(pk)
        data[f"networks-{index}-network"] = network
        data[f"networks-{index}-note"] = ""
    for offset, network in enumerate(networks):
        index = len(existing) + offset
        data[f"networks-{index}-network"] = network
        data[f"networks-{index}-note"] = ""
    return data


def database_dump() -> str:
    """Every row of every table, as text: a secret in clear anywhere would show up here."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def errors_of(response) -> list[str]:
    """The error messages of the admin form and its inlines on a re-shown page."""
    found = []
    form = response.context["adminform"].form
    for messages in form.errors.values():
        found.extend(messages)
    for inline in response.context["inline_admin_formsets"]:
        found.extend(inline.formset.non_form_errors())
        for form_errors in inline.formset.errors:
            for messages in form_errors.values():
                found.extend(messages)
    return found
