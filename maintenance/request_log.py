"""The OMS API request log: writing one entry per request, and pruning old entries.

An entry says who called (service name, client IP), what they asked (action), what came of it
(HTTP status, E-code, outcome, items received and refused) and, for a refusal, the exact reason
in plain words for the service desk. It never holds a key: only the prefix of the key that
matched, from which the admin derives when a key was last used.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from .config import REQUEST_LOG_RETENTION_DAYS, get_parameter
from .models import RequestLog, RequestOutcome

logger = logging.getLogger(__name__)

# A request with thousands of refused items would make a huge row; the first ones tell the
# service desk what went wrong, the count says how many there were.
MAX_LOGGED_ITEM_ERRORS = 100
_FIELD_LIMITS = {"service_name": 200, "action": 100, "error_code": 8, "api_key_prefix": 12}


@dataclass(frozen=True, slots=True)
class LoggedItemError:
    position: int
    code: int
    message: str


def record_request(
    *,
    request_id: uuid.UUID | str,
    created_at: datetime,
    service_name: str,
    client_ip: str | None,
    action: str,
    http_status: int,
    outcome: RequestOutcome,
    error_code: str = "",
    reason: str = "",
    items_received: int = 0,
    items_refused: int = 0,
    item_errors: Sequence[LoggedItemError] = (),
    duration_ms: int = 0,
    api_key_prefix: str = "",
) -> RequestLog:
    """Write one request log entry (one INSERT)."""
    values: dict[str, Any] = {
        "service_name": service_name,
        "action": action,
        "error_code": error_code,
        "api_key_prefix": api_key_prefix,
    }
    for name, limit in _FIELD_LIMITS.items():
        values[name] = _storable(values[name] or "")[:limit]
    return RequestLog.objects.create(
        request_id=request_id,
        created_at=created_at,
        client_ip=client_ip or None,
        http_status=http_status,
        outcome=outcome,
        reason=_storable(reason),
        items_received=items_received,
        items_refused=items_refused,
        item_errors=[
            {"position": e.position, "code": e.code, "message": _storable(e.message)}
            for e in item_errors[:MAX_LOGGED_ITEM_ERRORS]
        ],
        duration_ms=max(0, duration_ms),
        **values,
    )


def _storable(text: str) -> str:
    """``text`` as PostgreSQL can store it: a caller's input may carry NUL characters or lone
    surrogates (JSON allows both), which text and jsonb columns refuse; they are kept visible
    as escapes instead of losing the whole entry."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def prune_request_log(*, now: datetime | None = None) -> int:
    """Delete entries older than the retention parameter; returns how many were deleted."""
    days = int(get_parameter(REQUEST_LOG_RETENTION_DAYS))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = RequestLog.objects.filter(created_at__lt=cutoff).delete()
    logger.info("request log pruned: %d entries older than %d days", deleted, days)
    return deleted
