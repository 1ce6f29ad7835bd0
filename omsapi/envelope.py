"""The response envelope of the OMS API, in one place (oms-api.md §6).

``SuccessResponse`` for a request whose every item was taken, ``ErrorResponse`` for a refused
request or one with refused items. In the Head ``ErrorCode`` is a string; in per-item errors
``ErrorCode`` and ``Position`` are JSON integers, as in the published examples.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse

from orders.errors import ItemError

from .errors import ApiError

CONTENT_TYPE = "application/json"
SOME_ITEMS_REFUSED = "Some elements were not processed"


@dataclass(frozen=True, slots=True)
class RefusedItem:
    position: int
    error: ItemError

    def as_json(self) -> dict[str, Any]:
        return {
            "ErrorCode": self.error.code,
            "ErrorMessage": self.error.message,
            "Position": self.position,
        }


def _now_text(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _response(payload: dict[str, Any], status: int) -> HttpResponse:
    # ensure_ascii keeps the body plain ASCII whatever the caller sent back to us.
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE)


def success(
    *, request_id: str, action: str, body: Any = None, response_type: str = ""
) -> HttpResponse:
    head = {
        "RequestId": request_id,
        "RequestAction": action,
        "ResponseType": response_type,
        "Timestamp": _now_text(),
    }
    return _response({"SuccessResponse": {"Head": head, "Body": [] if body is None else body}}, 200)


def _error_head(
    *, request_id: str, action: str, error_type: str, code: str, message: str
) -> dict[str, str]:
    return {
        "RequestId": request_id,
        "RequestAction": action,
        "ErrorType": error_type,
        "ErrorCode": code,
        "ErrorMessage": message,
    }


def request_error(*, request_id: str, action: str, error: ApiError) -> HttpResponse:
    """A refused request: the Head names the error, the Body is empty."""
    head = _error_head(
        request_id=request_id,
        action=action,
        error_type=error.error_type,
        code=str(error.code),
        message=error.message,
    )
    response = _response({"ErrorResponse": {"Head": head, "Body": ""}}, error.http_status)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def items_refused(
    *,
    request_id: str,
    action: str,
    refused: Sequence[RefusedItem],
    extra_body: dict[str, Any] | None = None,
) -> HttpResponse:
    """Some or all items refused (HTTP 400): only the refused ones, by 0-based position."""
    head = _error_head(
        request_id=request_id,
        action=action,
        error_type="Sender",
        code="0",
        message=SOME_ITEMS_REFUSED,
    )
    body: dict[str, Any] = {action: [item.as_json() for item in refused]}
    if extra_body:
        body.update(extra_body)
    return _response({"ErrorResponse": {"Head": head, "Body": body}}, 400)
