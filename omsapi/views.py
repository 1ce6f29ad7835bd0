"""The OMS API endpoint: read the request, check who calls, run one action, answer, log.

Thin on purpose: the checks are in ``auth``, the reading of items in ``items``, the answer's
shape in ``envelope``, the business rules in ``orders.status_updates``. Whatever happens, the
caller gets a JSON envelope (never HTML, never a stack trace) and the request log gets a row.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from maintenance.config import IMPORT_STATUS_DETAILS, get_parameter
from maintenance.models import RequestOutcome
from maintenance.refresh import queue_refresh
from maintenance.request_log import LoggedItemError, record_request
from orders.errors import InvalidOrderItemId, ItemError, UnknownStatusDetail
from orders.item_status import ItemStatusView, items_status
from orders.status_updates import (
    Outcome,
    apply_information_updates,
    apply_status_updates,
)

from . import envelope
from .auth import (
    GET_ITEMS_STATUS,
    UPDATE_ITEMS_INFORMATION,
    UPDATE_ITEMS_STATUS,
    Caller,
    authenticate,
    canonical_action,
    check_staging_basic_auth,
    read_parameters,
)
from .client_ip import client_ip
from .envelope import RefusedItem
from .errors import (
    ApiError,
    EmptyRequest,
    Gone,
    InvalidRequestFormat,
    PlatformError,
    PlatformUnavailable,
    RequestTooBig,
    StagingAuthRequired,
)
from .items import parse_get_item, parse_information_item, parse_items, parse_status_item
from .throttle import check_throttle

logger = logging.getLogger(__name__)

LEGACY_ACTION = "Order.UpdateItemStatus"
WWW_AUTHENTICATE = 'Basic realm="Seller Center", charset="UTF-8"'


@dataclass(slots=True)
class Exchange:
    """What the request log records about one request, filled in as the request goes."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received_at: datetime = field(default_factory=timezone.now)
    started: float = field(default_factory=time.perf_counter)
    service_name: str = ""
    client_ip: str | None = None
    action: str = ""
    api_key_prefix: str = ""
    error_code: str = ""
    reason: str = ""
    items_received: int = 0
    refused: list[RefusedItem] = field(default_factory=list)


def exchange_of(request: HttpRequest) -> Exchange:
    """The request's exchange, made on first use (the middleware may need it too)."""
    exchange = getattr(request, "_oms_exchange", None)
    if exchange is None:
        exchange = Exchange()
        request._oms_exchange = exchange  # type: ignore[attr-defined]
    return exchange


def log_exchange(request: HttpRequest, response: HttpResponse) -> None:
    """Write the request log row for ``request``, once; a failure to log never fails the answer."""
    if getattr(request, "_oms_logged", False):
        return
    request._oms_logged = True  # type: ignore[attr-defined]
    exchange = exchange_of(request)
    status = response.status_code
    if status < 400:
        outcome = RequestOutcome.ACCEPTED
    elif exchange.refused:
        outcome = RequestOutcome.PARTIAL
    elif status < 500:
        outcome = RequestOutcome.REFUSED
    else:
        outcome = RequestOutcome.ERROR
    try:
        record_request(
            request_id=exchange.request_id,
            created_at=exchange.received_at,
            service_name=exchange.service_name,
            client_ip=exchange.client_ip,
            action=exchange.action,
            http_status=status,
            outcome=outcome,
            error_code=exchange.error_code,
            reason=exchange.reason,
            items_received=exchange.items_received,
            items_refused=len(exchange.refused),
            item_errors=[
                LoggedItemError(r.position, r.error.code, r.error.message) for r in exchange.refused
            ],
            duration_ms=round((time.perf_counter() - exchange.started) * 1000),
            api_key_prefix=exchange.api_key_prefix,
        )
    except Exception:
        logger.warning(
            "OMS API request %s (%s, HTTP %s) could not be written to the request log",
            exchange.request_id,
            exchange.action or "-",
            status,
            exc_info=True,
        )


def error_response(request: HttpRequest, error: ApiError) -> HttpResponse:
    """The envelope for a refused request, with what the log needs noted on the exchange."""
    exchange = exchange_of(request)
    exchange.error_code = str(error.code)
    exchange.reason = error.reason
    exchange.api_key_prefix = exchange.api_key_prefix or error.api_key_prefix
    response = envelope.request_error(
        request_id=exchange.request_id, action=exchange.action, error=error
    )
    if isinstance(error, StagingAuthRequired):
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    if error.http_status == 405:
        response["Allow"] = "POST"
    return response


@csrf_exempt
def oms_api(request: HttpRequest) -> HttpResponse:
    """``/oms-api/``: every action of the contract."""
    exchange = exchange_of(request)
    try:
        response = _handle(request, exchange)
    except ApiError as error:
        response = error_response(request, error)
    except (OperationalError, InterfaceError) as exc:
        logger.error("OMS API request %s: database unavailable: %s", exchange.request_id, exc)
        response = error_response(
            request, PlatformUnavailable(f"the database cannot be reached: {exc}".strip())
        )
    except Exception as exc:
        logger.exception("OMS API request %s failed", exchange.request_id)
        response = error_response(
            request, PlatformError(f"internal error: {type(exc).__name__}: {exc}"[:2000])
        )
    log_exchange(request, response)
    return response


@csrf_exempt
def legacy_oms(request: HttpRequest) -> HttpResponse:
    """``/oms``: the removed ``Order.UpdateItemStatus``; names its replacement."""
    exchange = exchange_of(request)
    exchange.client_ip = client_ip(request)
    exchange.service_name = request.GET.get("ServiceName", "")
    exchange.action = request.GET.get("Action", "") or LEGACY_ACTION
    response = error_response(request, Gone())
    log_exchange(request, response)
    return response


def _handle(request: HttpRequest, exchange: Exchange) -> HttpResponse:
    exchange.action = canonical_action(request.GET.get("Action", ""))
    exchange.service_name = request.GET.get("ServiceName", "")
    exchange.client_ip = client_ip(request)
    check_staging_basic_auth(request)
    if request.method != "POST":
        raise InvalidRequestFormat(
            f"the OMS API takes POST requests, not {request.method}", http_status=405
        )
    parameters = read_parameters(dict(request.GET.lists()))
    caller = authenticate(
        parameters=parameters, client_ip=exchange.client_ip, now=exchange.received_at
    )
    exchange.action = caller.action
    exchange.api_key_prefix = caller.api_key_prefix
    check_throttle(caller.credential.service_name)
    include_history = _include_history(parameters)
    items = _read_items(request, exchange)
    if caller.action == UPDATE_ITEMS_STATUS:
        return _update(caller, exchange, items, information=False)
    if caller.action == UPDATE_ITEMS_INFORMATION:
        return _update(caller, exchange, items, information=True)
    assert caller.action == GET_ITEMS_STATUS
    return _get_items_status(exchange, items, include_history=include_history)


def _include_history(parameters: dict[str, str]) -> bool:
    value = parameters.get("IncludeHistory", "0").strip().lower()
    if value in {"1", "true"}:
        return True
    if value in {"0", "false", ""}:
        return False
    raise InvalidRequestFormat(f"IncludeHistory must be 1 or 0, not {value[:20]!r}")


def _read_body(request: HttpRequest) -> bytes:
    limit = settings.OMS_API_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.strip().isdigit() and int(declared) > limit:
        raise RequestTooBig(f"body of {int(declared)} bytes is over the limit of {limit} bytes")
    # Read one byte more than allowed, so a body without a (truthful) length is caught too.
    if not declared.strip() and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        # Django reads a body without Content-Length as empty; the server (gunicorn) has
        # already undone the chunking, so the raw stream holds the body.
        body = request.META["wsgi.input"].read(limit + 1)
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        raise RequestTooBig(f"body is over the limit of {limit} bytes")
    return body


def _read_items(request: HttpRequest, exchange: Exchange) -> list[Any]:
    body = _read_body(request)
    if not body.strip():
        raise EmptyRequest('the body is empty; expected {"Request": {"Items": [...]}}')
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequestFormat("the body is not UTF-8 text") from exc
    try:
        payload = json.loads(text)
    except RecursionError as exc:
        raise InvalidRequestFormat("the body is not valid JSON: nested too deeply") from exc
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise InvalidRequestFormat(f"the body is not valid JSON: {reason}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("Request"), dict):
        raise InvalidRequestFormat('expected a JSON object {"Request": {"Items": [...]}}')
    items = payload["Request"].get("Items")
    if "Items" not in payload["Request"] or items is None:
        raise InvalidRequestFormat('"Request" has no "Items" list')
    if not isinstance(items, list):
        raise InvalidRequestFormat('"Items" must be a list of objects')
    exchange.items_received = len(items)
    if not items:
        raise EmptyRequest("Items is empty")
    limit = settings.OMS_API_MAX_ITEMS
    if len(items) > limit:
        raise RequestTooBig(f"Items holds {len(items)} elements; at most {limit} are allowed")
    return items


def _update(
    caller: Caller, exchange: Exchange, elements: list[Any], *, information: bool
) -> HttpResponse:
    if information:
        good, bad = parse_items(elements, parse_information_item)
        results = apply_information_updates(
            items=[item for _, item in good],  # type: ignore[misc]
            status_details_enabled=bool(get_parameter(IMPORT_STATUS_DETAILS)),
            system=caller.credential.service_name,
            request_id=exchange.request_id,
            received_at=exchange.received_at,
        )
    else:
        good, bad = parse_items(elements, parse_status_item)
        results = apply_status_updates(
            items=[item for _, item in good],  # type: ignore[misc]
            system=caller.credential.service_name,
            request_id=exchange.request_id,
            received_at=exchange.received_at,
        )
    refused = [RefusedItem(position, error) for position, error in bad]
    counts = {outcome: 0 for outcome in Outcome}
    for (position, _), result in zip(good, results, strict=True):
        counts[result.outcome] += 1
        if result.error is not None:
            refused.append(RefusedItem(position, result.error))
    refused.sort(key=lambda item: item.position)
    exchange.refused = refused
    exchange.reason = (
        f"{counts[Outcome.APPLIED]} applied, {counts[Outcome.LATE]} late, "
        f"{counts[Outcome.REPEAT]} repeats, {len(refused)} refused"
    )
    if any(isinstance(item.error, UnknownStatusDetail) for item in refused):
        # The OMS may have just published the detail: fetch its options again.
        queue_refresh(credential=caller.credential, trigger="unknown_status_detail")
    if refused:
        exchange.error_code = "0"
        return envelope.items_refused(
            request_id=exchange.request_id, action=caller.action, refused=refused
        )
    return envelope.success(request_id=exchange.request_id, action=caller.action)


def _time_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _item_json(view: ItemStatusView, *, include_history: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id_sales_order_item": view.id_sales_order_item,
        "item_status": view.item_status,
        "status_detail": view.status_detail,
        "status_detail_label": view.status_detail_label,
        "status_event_time": _time_text(view.status_event_time),
        "shipping_carrier": view.shipping_carrier,
        "tracking_code": view.tracking_code,
        "package_status": view.package_status,
    }
    if include_history:
        data["History"] = [
            {
                "item_status": event.item_status,
                "status_detail": event.status_detail,
                "reason": event.reason,
                "status_event_time": _time_text(event.status_event_time),
                "received_at": _time_text(event.received_at),
                "applied": event.applied,
            }
            for event in view.history
        ]
    return data


def _get_items_status(
    exchange: Exchange, elements: list[Any], *, include_history: bool
) -> HttpResponse:
    good, bad = parse_items(elements, parse_get_item)
    found = items_status([item_id for _, item_id in good], include_history=include_history)
    refused: list[RefusedItem] = [RefusedItem(position, error) for position, error in bad]
    answered: list[dict[str, Any]] = []
    for position, item_id in good:
        view = found.get(item_id)  # type: ignore[call-overload]
        if view is None:
            refused.append(RefusedItem(position, _unknown_id(item_id)))  # type: ignore[arg-type]
        else:
            answered.append(_item_json(view, include_history=include_history))
    refused.sort(key=lambda item: item.position)
    exchange.refused = refused
    exchange.reason = f"{len(answered)} items answered, {len(refused)} refused"
    if refused:
        exchange.error_code = "0"
        return envelope.items_refused(
            request_id=exchange.request_id,
            action=GET_ITEMS_STATUS,
            refused=refused,
            extra_body={"Items": answered},
        )
    return envelope.success(
        request_id=exchange.request_id,
        action=GET_ITEMS_STATUS,
        response_type="Items",
        body={"Items": answered},
    )


def _unknown_id(item_id: int) -> ItemError:
    return InvalidOrderItemId(
        id_sales_order_item=item_id, field="id_sales_order_item", detail="no order item has this id"
    )
