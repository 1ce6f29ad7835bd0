"""The refresh tasks and ``queue_refresh``, run in the test process: retries with backoff
never past the next scheduled run, the per-system lock, the fan-out of the schedule, and at
most one queued refresh per system."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from demo_oms.server import Answer
from maintenance import tasks
from maintenance.credentials import create_system
from maintenance.models import RefreshOutcome, StatusDetailRefresh, SystemCredential
from maintenance.refresh import RefreshBusy, queue_refresh, queued_mark, refresh_lock
from maintenance.tasks import (
    refresh_all_status_details,
    refresh_system_status_details,
    retry_countdown,
)
from orders.models import StatusDetailOption


def run(**kwargs):
    return refresh_system_status_details.apply(kwargs=kwargs)


@pytest.mark.parametrize("retries", [0, 1, 2, 5])
def test_retry_countdown_doubles_with_jitter(retries):
    # given an interval of 300 s: the base is 10 s
    countdowns = {retry_countdown(retries, interval=300) for _ in range(50)}

    # then every countdown lies in the upper half of 10 * 2^retries, and they differ
    ceiling = 10 * 2**retries
    assert all(ceiling / 2 <= c <= ceiling for c in countdowns)
    assert len(countdowns) > 1


def test_task_refreshes_and_records(system, oms):
    # when
    result = run(credential_id=system.pk, trigger="admin")

    # then
    assert result.get() == "succeeded"
    assert StatusDetailOption.objects.count() == 12
    assert StatusDetailRefresh.objects.get().trigger == "admin"


def test_failed_refresh_is_retried_until_the_next_scheduled_run(system, oms, monkeypatch):
    # given an OMS that keeps failing, and backoff steps of 100 s, 200 s, 300 s...
    oms.responder = lambda parameters: Answer(500, b"down")
    asked: list[float] = []

    def countdown(retries: int, *, interval: float) -> float:
        asked.append(100.0 * (retries + 1))
        return asked[-1]

    monkeypatch.setattr(tasks, "retry_countdown", countdown)

    # when the task runs (eagerly: Celery runs each retry at once) with 300 s to the next run
    with override_settings(STATUS_DETAIL_REFRESH_SECONDS=300):
        result = run(credential_id=system.pk, trigger="schedule")

    # then it retried after 100 s and 200 s, and gave up rather than wait 300 s
    assert asked == [100.0, 200.0, 300.0]
    assert (result.state, result.get()) == ("SUCCESS", "failed")
    assert (
        list(StatusDetailRefresh.objects.values_list("outcome", "trigger"))
        == [(RefreshOutcome.FAILED, "schedule")] * 3
    )
    assert StatusDetailOption.objects.count() == 0


def test_no_retry_past_the_next_scheduled_run(system, oms):
    # given an OMS that fails, and no time left before the next scheduled run
    oms.responder = lambda parameters: Answer(500, b"down")

    # when
    result = run(credential_id=system.pk, deadline=0.0)

    # then the task gives up: the schedule tries again
    assert (result.state, result.get()) == ("SUCCESS", "failed")


def test_configuration_failure_is_not_retried(system, oms):
    # given a system that lost its OMS URL
    SystemCredential.objects.filter(pk=system.pk).update(oms_url="")

    # when
    result = run(credential_id=system.pk)

    # then
    assert (result.state, result.get()) == ("SUCCESS", "failed")
    assert oms.requests == []


def test_busy_system_is_skipped(system, oms):
    # given a refresh of the system holding its lock
    with refresh_lock(system.pk):
        # when another refresh of it starts
        result = run(credential_id=system.pk)

        # then it does nothing
        assert result.get() == "busy"
        with pytest.raises(RefreshBusy):
            with refresh_lock(system.pk):
                pass
    assert oms.requests == []
    assert StatusDetailRefresh.objects.count() == 0


def test_deleted_system_is_gone(db):
    assert run(credential_id=999_999).get() == "gone"
    assert StatusDetailRefresh.objects.count() == 0


def test_fan_out_queues_active_systems_with_an_oms_url(system, oms, monkeypatch):
    # given one system without URL and one inactive
    create_system(service_name="NOURL", networks=["10.0.0.1"])
    inactive = create_system(service_name="OFF", networks=["10.0.0.2"], oms_url=oms.url)
    SystemCredential.objects.filter(pk=inactive.api_key.credential.pk).update(active=False)
    sent: list[dict] = []
    monkeypatch.setattr(
        refresh_system_status_details,
        "apply_async",
        lambda kwargs, expires: sent.append({**kwargs, "expires": expires}),
    )

    # when
    with override_settings(STATUS_DETAIL_REFRESH_SECONDS=60):
        count = refresh_all_status_details.apply(kwargs={"trigger": "schedule"}).get()

    # then only the active system with an OMS URL is queued, expiring before the next run
    assert count == 1
    assert sent == [{"credential_id": system.pk, "trigger": "schedule", "expires": 54.0}]


def test_queue_refresh_queues_once_after_commit(system, django_capture_on_commit_callbacks):
    # when two pushes name unknown details in a row
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = queue_refresh(credential=system, trigger="unknown_status_detail")
        second = queue_refresh(credential=system, trigger="unknown_status_detail")

    # then one refresh is queued, to be sent after commit
    assert (first, second) == (True, False)
    assert len(callbacks) == 1
    assert cache.get(queued_mark(system.pk)) == "unknown_status_detail"


def test_finished_queued_refresh_lets_the_next_one_queue(system, oms):
    # given a queued refresh
    assert queue_refresh(credential=system, trigger="admin") is True

    # when its task has run
    run(credential_id=system.pk, trigger="admin", clear_mark=True)

    # then another may be queued
    assert cache.get(queued_mark(system.pk)) is None


def test_queue_refresh_ignores_systems_it_cannot_refresh(db, django_capture_on_commit_callbacks):
    # given a system without OMS URL
    plain = create_system(service_name="PLAIN", networks=["10.0.0.1"]).api_key.credential

    # when / then
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert queue_refresh(credential=plain, trigger="admin") is False
    assert callbacks == []
