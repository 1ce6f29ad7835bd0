"""Celery tasks of the Maintenance section: the status detail refresh and request log pruning.

Celery beat runs ``refresh_all_status_details`` every ``STATUS_DETAIL_REFRESH_SECONDS``; it
queues one ``refresh_system_status_details`` per active system with an OMS URL. A refresh that
fails is retried with exponential backoff and jitter, never past the next scheduled run, which
tries again anyway. Only one refresh of a system runs at a time; a task that finds the system's
lock taken does nothing, since the running refresh fetches the same list.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import request_log
from .models import SystemCredential
from .refresh import (
    RefreshBusy,
    RefreshFailed,
    queued_mark,
    refresh_lock,
    refresh_status_details,
)

logger = logging.getLogger(__name__)

REFRESH_ALL = "maintenance.refresh_all_status_details"
REFRESH_SYSTEM = "maintenance.refresh_system_status_details"
PRUNE_REQUEST_LOG = "maintenance.prune_request_log"


def interval_seconds() -> float:
    return float(settings.STATUS_DETAIL_REFRESH_SECONDS)


def retry_countdown(retries: int, *, interval: float) -> float:
    """Exponential backoff with jitter: about interval/30 (at least half a second, at most 30
    seconds) doubled per retry, drawn between half and all of it so retries of many systems do
    not hit the OMSs in step."""
    base = max(0.5, min(30.0, interval / 30))
    ceiling = base * (2**retries)
    return random.uniform(ceiling / 2, ceiling)


@shared_task(name=REFRESH_ALL, ignore_result=True)
def refresh_all_status_details(trigger: str = "schedule") -> int:
    """Queue a refresh of every active system that has an OMS URL; returns how many."""
    interval = interval_seconds()
    ids = list(
        SystemCredential.objects.filter(active=True)
        .exclude(oms_url="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for credential_id in ids:
        refresh_system_status_details.apply_async(
            kwargs={"credential_id": credential_id, "trigger": trigger},
            # A refresh still waiting when the next run queues its own is worthless.
            expires=max(1.0, interval * 0.9),
        )
    return len(ids)


@shared_task(name=REFRESH_SYSTEM, bind=True, ignore_result=True, max_retries=None)
def refresh_system_status_details(
    self,
    *,
    credential_id: int,
    trigger: str = "schedule",
    clear_mark: bool = False,
    deadline: float | None = None,
) -> str:
    """One refresh of one system; the outcome is recorded as a StatusDetailRefresh."""
    interval = interval_seconds()
    if deadline is None:
        deadline = time.time() + interval
    retrying = False
    try:
        credential = SystemCredential.objects.filter(pk=credential_id).first()
        if credential is None:
            return "gone"
        try:
            with refresh_lock(credential_id):
                refresh_status_details(credential=credential, trigger=trigger)
        except RefreshBusy:
            logger.info("status detail refresh of %s skipped: one is running", credential)
            return "busy"
        except RefreshFailed as failure:
            if not failure.retry:
                return "failed"
            countdown = retry_countdown(self.request.retries, interval=interval)
            if time.time() + countdown >= deadline:
                logger.info("status detail refresh of %s: next try on schedule", credential)
                return "failed"
            retrying = True
            raise self.retry(
                countdown=countdown,
                kwargs={
                    "credential_id": credential_id,
                    "trigger": trigger,
                    "clear_mark": clear_mark,
                    "deadline": deadline,
                },
            ) from None
        return "succeeded"
    finally:
        # A refresh queued by queue_refresh stays marked through its retries, so pushes that
        # keep naming an unknown detail do not pile up more.
        if clear_mark and not retrying:
            with contextlib.suppress(Exception):
                cache.delete(queued_mark(credential_id))


@shared_task(name=PRUNE_REQUEST_LOG, ignore_result=True)
def prune_request_log() -> int:
    """Delete request log entries older than the configured retention; returns how many."""
    return request_log.prune_request_log()
