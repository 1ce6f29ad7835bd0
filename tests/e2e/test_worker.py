"""The status detail refresh with real parts: a Celery worker and Celery beat on Redis, the
test's PostgreSQL database, and a real HTTP server playing the OMS.

The worker and beat run as their own processes (``celery -A sellercenter ...``) with
``STATUS_DETAIL_REFRESH_SECONDS=2``, against the same database the test uses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from demo_oms.server import Answer, OmsServer, success
from maintenance.credentials import create_system
from maintenance.models import RefreshOutcome, StatusDetailRefresh, SystemCredential
from maintenance.refresh import queue_refresh, queued_mark, refresh_status_details
from maintenance.tasks import refresh_system_status_details
from omsapi.client import send
from orders.models import OrderItem, StatusDetailOption
from tests.conftest import require_postgresql, require_real_part
from tests.support import ChildProcess, eventually, redis_available

pytestmark = pytest.mark.e2e

BASE_DIR = Path(settings.BASE_DIR)
INTERVAL = 2


def celery_environment() -> dict[str, str]:
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "STATUS_DETAIL_REFRESH_SECONDS": str(INTERVAL),
        "PYTHONUNBUFFERED": "1",
    }


def celery(arguments: list[str], log: Path) -> ChildProcess:
    return ChildProcess(["celery", "-A", "sellercenter", *arguments], celery_environment(), log)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[ChildProcess]:
    with django_db_blocker.unblock():
        require_postgresql()
    require_real_part(redis_available(), "needs Redis: set REDIS_URL to a redis:// URL")
    import redis

    # The test's own Redis database: no message or lock of an earlier run may linger.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    process = celery(
        ["worker", "-l", "info", "-c", "3", "--without-mingle", "--without-gossip"],
        tmp_path_factory.mktemp("worker") / "worker.log",
    )
    eventually(lambda: "ready." in process.text(), what="the worker starts")
    yield process
    process.stop()


@pytest.fixture
def beat(worker, tmp_path) -> Iterator[ChildProcess]:
    process = celery(
        ["beat", "-l", "info", "-s", str(tmp_path / "schedule")], tmp_path / "beat.log"
    )
    yield process
    process.stop()


@pytest.fixture
def oms() -> Iterator[OmsServer]:
    keys: dict[str, str | None] = {"key": None}
    server = OmsServer(key=lambda: keys["key"]).start()
    server.keys = keys
    yield server
    server.stop()


@pytest.fixture
def system(transactional_db, oms) -> tuple[SystemCredential, str]:
    issued = create_system(service_name="OMS", networks=["127.0.0.1"], oms_url=oms.url)
    oms.keys["key"] = issued.secret
    return issued.api_key.credential, issued.secret


def publish(oms: OmsServer, entries: list[dict[str, str]], *, delay: float = 0) -> None:
    def respond(parameters: dict[str, str]) -> Answer:
        refusal = oms.check(parameters)
        if refusal is not None:
            return refusal
        answer = success(entries)
        answer.delay = delay
        return answer

    oms.responder = respond


def labels() -> dict[tuple[str, str], tuple[str, bool]]:
    return {
        (o.status, o.key): (o.label, o.active) for o in StatusDetailOption.objects.order_by("pk")
    }


def refreshes(outcome: str) -> list[StatusDetailRefresh]:
    return list(StatusDetailRefresh.objects.filter(outcome=outcome).order_by("id"))


RETURNED = [
    {"status": "returned", "key": "initiated", "label": "Initiated"},
    {"status": "returned", "key": "return_refused", "label": "Return Refused"},
]


def test_new_option_reaches_the_push_api(worker, system, oms, live_server, make_items):
    # given a returned item and a mapping without "lost_in_transit"
    credential, key = system
    [item] = make_items(1, first_id=500001, status="returned", reason="Size did not fit")
    publish(oms, RETURNED)
    refresh_status_details(credential=credential)
    body = {"Request": {"Items": [{"id_sales_order_item": 500001, "status_detail": "lost"}]}}

    # when the OMS publishes the new option and pushes it straight away
    publish(oms, [*RETURNED, {"status": "returned", "key": "lost", "label": "Lost in transit"}])
    first = send(
        url=live_server.url + "/oms-api/",
        service_name="OMS",
        api_key=key,
        action="UpdateItemsInformation",
        body=body,
    )

    # then the first push is refused naming the detail and the status, changing nothing
    assert first.status == 400
    [refusal] = first.json["ErrorResponse"]["Body"]["UpdateItemsInformation"]
    assert refusal["ErrorCode"] == 5
    assert '"lost" is not a known status detail of status "returned"' in refusal["ErrorMessage"]
    item.refresh_from_db()
    assert (item.status_detail_id, item.history.count()) == (None, 0)

    # and the refresh it queued takes the option on, so a try after it is applied
    eventually(
        lambda: StatusDetailOption.objects.filter(key="lost", active=True).exists(),
        what="the worker's refresh takes on the new option",
    )
    [queued] = [r for r in refreshes(RefreshOutcome.SUCCEEDED) if r.trigger != "schedule"]
    assert queued.trigger == "unknown_status_detail"
    second = send(
        url=live_server.url + "/oms-api/",
        service_name="OMS",
        api_key=key,
        action="UpdateItemsInformation",
        body=body,
    )
    assert second.status == 200, second.text
    item.refresh_from_db()
    assert item.status_detail.label == "Lost in transit"


def test_bad_oms_leaves_the_last_good_mapping_and_the_worker_alive(worker, system, oms):
    # given a good mapping
    credential, _ = system
    publish(oms, RETURNED)
    refresh_status_details(credential=credential)
    good = labels()
    bad_answers = [
        ("down", None, "the OMS cannot be reached"),
        ("http 500", Answer(500, b"oops"), "the OMS answered HTTP 500"),
        ("slow", Answer(200, b"{}", delay=3), "the OMS did not answer within 1 s"),
        ("garbage", Answer(200, b"\x00\xffnot json"), "the OMS's answer is not JSON"),
        ("wrong shape", Answer(200, {"SuccessResponse": []}), "the OMS's answer has no Success"),
        ("empty list", success([]), "the OMS published an empty list"),
    ]
    for name, answer, reason in bad_answers:
        if answer is None:
            SystemCredential.objects.filter(pk=credential.pk).update(
                oms_url="http://127.0.0.1:9/"  # the discard port: nothing listens
            )
        else:
            SystemCredential.objects.filter(pk=credential.pk).update(oms_url=oms.url)
            oms.responder = lambda parameters, answer=answer: answer
        failed_before = len(refreshes(RefreshOutcome.FAILED))

        # when the worker refreshes from an OMS that misbehaves
        credential.refresh_from_db()
        assert queue_refresh(credential=credential, trigger="admin") is True

        # then the failure is recorded with its reason, the mapping is unchanged
        failure = eventually(
            lambda before=failed_before: refreshes(RefreshOutcome.FAILED)[before:],
            what=f"a failed refresh is recorded ({name})",
        )[0]
        assert failure.error.startswith(reason), (name, failure.error)
        assert labels() == good, name
        # (the mark clears once the task and its retries are done)
        eventually(
            lambda: cache.get(queued_mark(credential.pk)) is None,
            what="the queued refresh finishes",
        )

    # and the worker still works: a good list is taken on
    publish(oms, [{"status": "returned", "key": "initiated", "label": "Return initiated"}])
    assert queue_refresh(credential=credential, trigger="admin") is True
    eventually(
        lambda: labels()[("returned", "initiated")] == ("Return initiated", True),
        what="the worker takes on a good list after the failures",
    )
    assert labels()[("returned", "return_refused")] == ("Return Refused", False)
    assert worker.alive()


def test_two_refreshes_of_one_system_never_run_at_once(worker, system, oms):
    # given an OMS that takes a while to answer
    credential, _ = system
    publish(oms, RETURNED, delay=0.6)
    started = len(re.findall(r"succeeded in", worker.text()))

    # when six refreshes of the system are fired at once at a worker running three at a time
    task_ids = [
        refresh_system_status_details.apply_async(
            kwargs={"credential_id": credential.pk, "trigger": "admin"}
        ).id
        for _ in range(6)
    ]

    # then all six end, and the OMS never saw two requests at the same time
    def finished() -> list[str]:
        text = worker.text()
        done = [i for i in task_ids if re.search(re.escape(i) + r"\] succeeded in", text)]
        return done if len(done) == 6 else []

    eventually(finished, what="the six refresh tasks finish")
    outcomes = re.findall(
        r"(?:" + "|".join(map(re.escape, task_ids)) + r")\] succeeded in [\d.]+s: '(\w+)'",
        worker.text(),
    )
    assert sorted(set(outcomes)) == ["busy", "succeeded"]
    assert oms.max_in_flight == 1
    assert len(oms.requests) == outcomes.count("succeeded")
    assert len(refreshes(RefreshOutcome.SUCCEEDED)) == outcomes.count("succeeded")
    assert len(re.findall(r"succeeded in", worker.text())) == started + 6


def test_beat_brings_the_mapping_on_its_own_and_keeps_it_fresh(beat, system, oms):
    # given a system whose OMS publishes a list; nobody asks for a refresh
    publish(oms, RETURNED)

    # then the mapping arrives on its own
    eventually(
        lambda: (
            labels()
            == {
                ("returned", "initiated"): ("Initiated", True),
                ("returned", "return_refused"): ("Return Refused", True),
            }
        ),
        what="beat's refresh brings the mapping",
    )

    # and when the OMS renames an option, a scheduled run takes it over within a few intervals
    publish(oms, [{"status": "returned", "key": "initiated", "label": "Return initiated"}])
    eventually(
        lambda: (
            labels()
            == {
                ("returned", "initiated"): ("Return initiated", True),
                ("returned", "return_refused"): ("Return Refused", False),
            }
        ),
        timeout=5 * INTERVAL + 10,
        what="a scheduled refresh takes the renamed option over",
    )
    assert {r.trigger for r in refreshes(RefreshOutcome.SUCCEEDED)} <= {"startup", "schedule"}
    assert "schedule" in {r.trigger for r in refreshes(RefreshOutcome.SUCCEEDED)}
    assert beat.alive()
    assert OrderItem.objects.count() == 0
