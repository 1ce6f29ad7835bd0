"""Keeps every answer under the OMS API's paths a JSON envelope, even when Django answers.

Some failures happen before the view runs or outside it: a Host header not in
``ALLOWED_HOSTS``, an address under ``/oms-api/`` that does not exist, an error page. Django
answers those with HTML. This middleware, first in the stack, turns such an answer on an OMS API
path into an ``ErrorResponse`` with the same HTTP status, and makes sure the request log has
its row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .client_ip import client_ip
from .errors import (
    AccessDenied,
    ApiError,
    InvalidRequestFormat,
    PlatformError,
    PlatformUnavailable,
    RequestTooBig,
)
from .views import error_response, exchange_of, log_exchange

logger = logging.getLogger(__name__)

API_PREFIX = "/oms-api"
LEGACY_PATHS = frozenset({"/oms", "/oms/"})


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/") or path in LEGACY_PATHS


def _error_for(status: int, path: str) -> ApiError:
    if status == 404:
        return InvalidRequestFormat(f"no such address {path[:100]}; the OMS API is at /oms-api/")
    if status == 413:
        return RequestTooBig(f"Django refused the request as too big (HTTP {status})")
    if status in (401, 403):
        error: ApiError = AccessDenied(f"refused before reaching the OMS API (HTTP {status})")
        return error
    if status == 503:
        return PlatformUnavailable(f"service unavailable before reaching the OMS API ({status})")
    if status >= 500:
        return PlatformError(f"internal error before reaching the OMS API (HTTP {status})")
    return InvalidRequestFormat(
        f"the request could not be read (HTTP {status}, e.g. a Host header not allowed)"
    )


class OmsApiEnvelopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path_info):
            return self.get_response(request)
        exchange_of(request)  # starts the clock and fixes the request id
        try:
            response = self.get_response(request)
        except Exception:  # Django converts exceptions itself; this is the last resort
            logger.exception("OMS API request failed outside the view")
            response = error_response(request, PlatformError("internal error outside the view"))
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            status = response.status_code
            exchange = exchange_of(request)
            exchange.service_name = exchange.service_name or request.GET.get("ServiceName", "")
            exchange.action = exchange.action or request.GET.get("Action", "")
            if exchange.client_ip is None:
                exchange.client_ip = client_ip(request)
            replacement = error_response(request, _error_for(status, request.path_info))
            replacement.status_code = status
            response = replacement
        if response.status_code >= 400:
            log_exchange(request, response)
        return response
