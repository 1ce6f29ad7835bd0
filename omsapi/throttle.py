"""Throttling per ``ServiceName`` (E429), counted across all web workers.

A fixed window per system: one atomic ``incr`` on a shared cache key (Redis in production and
CI) per signed request. Only signed requests count, so nobody can use up a system's allowance
by sending garbage in its name. When the counter store cannot be reached, requests are let
through (and a warning logged): the throttle protects the platform; it must not take it down.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from .errors import TooManyRequests

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


@dataclass(frozen=True, slots=True)
class Rate:
    requests: int
    seconds: int


@lru_cache(maxsize=8)
def parse_rate(text: str) -> Rate:
    """``"600/min"`` (also ``/s``, ``/h``) as a rate."""
    match = _RATE.match(text.lower())
    if not match or match.group(2) not in _UNITS or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"OMS_API_THROTTLE must look like 600/min, 10/s or 5000/h, not {text!r}"
        )
    return Rate(int(match.group(1)), _UNITS[match.group(2)])


def check_throttle(service_name: str, *, now: float | None = None) -> None:
    """Count one request of ``service_name``; raise ``TooManyRequests`` over the rate."""
    rate = parse_rate(settings.OMS_API_THROTTLE)
    moment = time.time() if now is None else now
    window = int(moment // rate.seconds)
    key = f"omsapi:throttle:{service_name}:{rate.seconds}:{window}"
    try:
        # add() creates the window's counter once; incr() is atomic on Redis.
        cache.add(key, 0, timeout=rate.seconds + 5)
        count = cache.incr(key)
    except Exception:  # the counter store is down or flaky: let the request through
        logger.warning(
            "OMS API throttle counter unavailable; request of %s let through",
            service_name,
            exc_info=True,
        )
        return
    if count > rate.requests:
        retry_after = max(1, int((window + 1) * rate.seconds - moment) + 1)
        raise TooManyRequests(
            f"{service_name} sent {count} requests in the current {rate.seconds} s window; "
            f"the limit is {rate.requests}",
            retry_after=retry_after,
        )
