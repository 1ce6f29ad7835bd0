"""The reference client of the OMS API: signs a request as oms-api.md §3 says and sends it.

The tests, the demo OMS and ``python manage.py oms_push`` use it. Signing is
``maintenance.signing``'s, the same function the API checks requests with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from maintenance.signing import query_string, sign

VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class ClientResponse:
    status: int
    json: object  # None when the answer is not JSON
    text: str


def signed_parameters(
    *,
    service_name: str,
    api_key: str,
    action: str,
    extra_params: dict[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The URL parameters of a request, ``Signature`` included."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    parameters = {
        "Action": action,
        "ServiceName": service_name,
        "Timestamp": moment.isoformat(),
        "Version": VERSION,
        **(extra_params or {}),
    }
    parameters["Signature"] = sign(parameters, api_key)
    return parameters


def signed_url(
    *,
    url: str,
    service_name: str,
    api_key: str,
    action: str,
    extra_params: dict[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    parameters = signed_parameters(
        service_name=service_name,
        api_key=api_key,
        action=action,
        extra_params=extra_params,
        now=now,
    )
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{query_string(parameters)}"


def send(
    *,
    url: str,
    service_name: str,
    api_key: str,
    action: str,
    body: dict | bytes,
    extra_params: dict | None = None,
    timeout: float = 30,
    now: datetime | None = None,
) -> ClientResponse:
    """POST ``body`` (a dict is sent as JSON) to ``url`` as ``action``, signed with ``api_key``."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    answer = requests.post(
        signed_url(
            url=url,
            service_name=service_name,
            api_key=api_key,
            action=action,
            extra_params=extra_params,
            now=now,
        ),
        data=data,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        timeout=timeout,
        allow_redirects=False,
    )
    try:
        parsed: object = answer.json()
    except ValueError:
        parsed = None
    return ClientResponse(status=answer.status_code, json=parsed, text=answer.text)
