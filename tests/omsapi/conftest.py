"""Fixtures of the OMS API tests: a system credential, its key, and a signed-request helper
that goes through the whole HTTP stack (Django's test client, middleware included)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from maintenance.credentials import create_system
from maintenance.models import RequestLog, SystemCredential
from maintenance.signing import query_string
from omsapi.client import signed_parameters

OMS_IP = "203.0.113.10"


@dataclass
class System:
    credential: SystemCredential
    key: str
    prefix: str


@pytest.fixture
def oms(db) -> System:
    issued = create_system(
        service_name="OMS", networks=[OMS_IP, "198.51.100.0/24", "2001:db8:1::/48"]
    )
    return System(issued.api_key.credential, issued.secret, issued.api_key.prefix)


@dataclass
class Answer:
    status: int
    json: Any
    headers: dict[str, str]

    @property
    def head(self) -> dict[str, Any]:
        envelope = self.json.get("SuccessResponse") or self.json.get("ErrorResponse")
        return envelope["Head"]

    @property
    def body(self) -> Any:
        envelope = self.json.get("SuccessResponse") or self.json.get("ErrorResponse")
        return envelope["Body"]


def _answer(response) -> Answer:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return Answer(response.status_code, json.loads(response.content), dict(response.headers))


@pytest.fixture
def call(oms) -> Callable[..., Answer]:
    """POST a signed request to /oms-api/ and return the parsed answer."""

    def post(
        action: str = "UpdateItemsStatus",
        items: list | None = None,
        *,
        body: Any = None,
        key: str | None = None,
        service: str = "OMS",
        ip: str = OMS_IP,
        now: datetime | None = None,
        extra_params: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        path: str = "/oms-api/",
        **meta: Any,
    ) -> Answer:
        if params is None:
            params = signed_parameters(
                service_name=service,
                api_key=key or oms.key,
                action=action,
                extra_params=extra_params,
                now=now,
            )
        if body is None:
            body = {"Request": {"Items": items if items is not None else []}}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = Client().generic(
            "POST",
            f"{path}?{query_string(params)}",
            data=data,
            content_type="application/json",
            REMOTE_ADDR=ip,
            **meta,
        )
        return _answer(response)

    return post


def last_log() -> RequestLog:
    return RequestLog.objects.order_by("-created_at", "-id").first()


def shipped(item_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "id_sales_order_item": item_id,
        "item_status": "shipped",
        "shipping_carrier": "DHL",
        "tracking_code": "389292777",
        **fields,
    }
