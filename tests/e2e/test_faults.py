"""Faults under load: PostgreSQL or Redis cut while the application serves, and a bad OMS.

The application runs as its own gunicorn process and talks to PostgreSQL and Redis through
``tests.faultproxy.FaultProxy``, which the test cuts (every connection dropped, new ones
refused) and restores; the machine's own servers stay up for everybody else.

- PostgreSQL cut in the middle of a load of pushes: every answer is a JSON envelope (503 Platform
  E1000 while the database is away), no request is half applied, and service comes back by
  itself once PostgreSQL does; resending what failed then brings every item where it belongs.
- Redis cut: the push API (its throttle lets requests through) and the seller screen carry on;
  the Celery worker and beat, also behind the proxy, refresh the status details again once Redis
  is back.
- The OMS down, slow, or answering garbage while pushes keep coming: the push API answers every
  push; each refresh fails with its reason and leaves the last good mapping.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from django.db import connection

from demo_oms.server import Answer, OmsServer, success
from maintenance.credentials import create_system
from maintenance.models import RefreshOutcome, StatusDetailRefresh, SystemCredential
from maintenance.refresh import RefreshFailed, refresh_status_details
from omsapi.client import ClientResponse, send
from orders.accounts import set_seller_user
from orders.models import ItemHistory, OrderItem, StatusDetailOption
from tests.conftest import require_postgresql, require_real_part
from tests.faultproxy import FaultProxy
from tests.support import ChildProcess, eventually, free_port, redis_available

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
PASSWORD = "fault-test-password-1"


# --- the parts ------------------------------------------------------------------------------


# One proxy pair and one gunicorn serve the whole module (starting gunicorn takes seconds);
# each test gets them back restored.


@pytest.fixture(scope="module")
def module_pg_proxy(django_db_setup, django_db_blocker) -> Iterator[FaultProxy]:
    with django_db_blocker.unblock():
        require_postgresql()
    database = connection.settings_dict
    proxy = FaultProxy(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def module_redis_proxy() -> Iterator[FaultProxy]:
    require_real_part(redis_available(), "needs Redis: set REDIS_URL to a redis:// URL")
    target = urlsplit(settings.REDIS_URL)
    proxy = FaultProxy(target.hostname or "127.0.0.1", target.port or 6379).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def pg_proxy(module_pg_proxy, transactional_db) -> Iterator[FaultProxy]:
    module_pg_proxy.restore()
    yield module_pg_proxy
    module_pg_proxy.restore()


@pytest.fixture
def redis_proxy(module_redis_proxy) -> Iterator[FaultProxy]:
    module_redis_proxy.restore()
    yield module_redis_proxy
    module_redis_proxy.restore()


def proxied_environment(pg: FaultProxy, rd: FaultProxy, **extra: str) -> dict[str, str]:
    """The environment of a process that reaches the test's database and Redis via proxies."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    redis_db = urlsplit(settings.REDIS_URL).path or "/0"
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}{password}@127.0.0.1:{pg.port}/"
        f"{database['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:{rd.port}{redis_db}",
        "OMS_API_THROTTLE": "100000/min",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@pytest.fixture(scope="module")
def module_app(module_pg_proxy, module_redis_proxy, tmp_path_factory) -> Iterator[str]:
    """gunicorn serving the project through the proxies; yields its base URL."""
    pg_proxy, redis_proxy = module_pg_proxy, module_redis_proxy
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    process = ChildProcess(
        [
            "gunicorn",
            "sellercenter.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        proxied_environment(pg_proxy, redis_proxy),
        tmp_path / "gunicorn.log",
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.alive(), process.text()
        try:
            return requests.get(base + "/oms-api/schema/", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    eventually(up, what="gunicorn starts")
    yield base
    process.stop()
    # A database outage is logged (with its cause), but nothing ever failed as a 500.
    log = process.text()
    assert "Internal Server Error" not in log, log[-4000:]
    assert "WORKER TIMEOUT" not in log, log[-4000:]


@pytest.fixture
def app(module_app, pg_proxy, redis_proxy) -> str:
    return module_app


@dataclass
class System:
    key: str
    credential: SystemCredential


@pytest.fixture
def system(transactional_db) -> System:
    issued = create_system(service_name="OMS", networks=["127.0.0.1"])
    return System(issued.secret, issued.api_key.credential)


def push(base: str, system: System, action: str, items: list[dict], timeout=30) -> ClientResponse:
    return send(
        url=base + "/oms-api/",
        service_name="OMS",
        api_key=system.key,
        action=action,
        body={"Request": {"Items": items}},
        timeout=timeout,
    )


def shipped(item_id: int, tracking: str) -> dict[str, Any]:
    return {
        "id_sales_order_item": item_id,
        "item_status": "shipped",
        "shipping_carrier": "DHL",
        "tracking_code": tracking,
        "status_event_time": "2026-11-20 10:00:00",
    }


def head_of(answer: ClientResponse) -> dict[str, Any]:
    assert isinstance(answer.json, dict), f"not a JSON envelope: HTTP {answer.status} {answer.text}"
    envelope = answer.json.get("SuccessResponse") or answer.json.get("ErrorResponse")
    assert isinstance(envelope, dict) and "Head" in envelope, answer.text[:500]
    return envelope["Head"]


def assert_platform_unavailable(answer: ClientResponse) -> None:
    head = head_of(answer)
    assert answer.status == 503, answer.text[:500]
    assert (head["ErrorType"], head["ErrorCode"]) == ("Platform", "1000"), head
    assert head["ErrorMessage"].startswith("E1000: Internal Application Error"), head


# --- PostgreSQL cut in the middle of a load ---------------------------------------------------


def test_postgresql_cut_mid_load_answers_503_envelopes_applies_nothing_half_and_recovers(
    app, pg_proxy, system, make_items
):
    # given 60 requests of 20 pending items each (each request its own items and tracking code)
    batches = 60
    per_batch = 20
    make_items(batches * per_batch, first_id=700_000)
    requests_sent = {
        number: [700_000 + number * per_batch + i for i in range(per_batch)]
        for number in range(batches)
    }
    answers: dict[int, ClientResponse] = {}
    lock = threading.Lock()
    cut_done = threading.Event()
    restore_now = threading.Event()

    def sender(numbers: list[int]) -> None:
        for number in numbers:
            answer = push(
                app,
                system,
                "UpdateItemsStatus",
                [shipped(i, f"TRK-{number}") for i in requests_sent[number]],
            )
            with lock:
                answers[number] = answer
                failed = sum(1 for a in answers.values() if a.status != 200)
                if len(answers) == batches // 4 and not pg_proxy.is_cut:
                    pg_proxy.cut()  # a quarter of the way through: the database goes away
                    cut_done.set()
                if cut_done.is_set() and failed >= 12 and not restore_now.is_set():
                    restore_now.set()
                    pg_proxy.restore()  # and comes back while the load goes on

    # when four senders push them while PostgreSQL is cut and restored along the way
    order = list(range(batches))
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(sender, [order[start::4] for start in range(4)]))
    assert cut_done.is_set() and restore_now.is_set(), "the cut and restore happened mid-load"

    # then every answer was an envelope: 200 success, or 503 Platform E1000 while it was away
    statuses = {number: answer.status for number, answer in answers.items()}
    assert set(statuses.values()) <= {200, 503}, statuses
    failed = sorted(number for number, status in statuses.items() if status == 503)
    assert len(failed) >= 12
    for number in failed:
        assert_platform_unavailable(answers[number])
    for answer in answers.values():
        if answer.status == 200:
            assert head_of(answer)["RequestAction"] == "UpdateItemsStatus"

    # and nothing is half applied: each request is all in or all out; a success is all in
    def state_of(number: int) -> set[tuple[str, str, int]]:
        items = OrderItem.objects.filter(id_sales_order_item__in=requests_sent[number])
        return {(item.status, item.tracking_code, item.history.count()) for item in items}

    applied_despite_error = 0
    for number in range(batches):
        state = state_of(number)
        assert state in ({("shipped", f"TRK-{number}", 1)}, {("pending", "", 0)}), (number, state)
        if statuses[number] == 200:
            assert state == {("shipped", f"TRK-{number}", 1)}, number
        elif state != {("pending", "", 0)}:
            applied_despite_error += 1  # committed just before the answer was lost

    # and service is back by itself: resending every failed request whole succeeds
    for number in failed:
        answer = push(
            app,
            system,
            "UpdateItemsStatus",
            [shipped(i, f"TRK-{number}") for i in requests_sent[number]],
        )
        assert answer.status == 200, answer.text[:500]
    assert OrderItem.objects.filter(status="shipped").count() == batches * per_batch
    assert ItemHistory.objects.count() == batches * per_batch
    assert applied_despite_error <= len(failed)
    print(
        f"PostgreSQL cut mid-load: {batches} requests, {len(failed)} answered 503 E1000, "
        f"{applied_despite_error} of those committed before the answer was lost, 0 half applied"
    )


def test_postgresql_down_answers_503_until_it_is_back(app, pg_proxy, system, make_items):
    # given an item, and PostgreSQL gone before the request arrives
    make_items(1, first_id=710_000)
    pg_proxy.cut()

    # when the OMS pushes
    down = push(app, system, "UpdateItemsStatus", [shipped(710_000, "T-1")])

    # then it is told to resend later, in an envelope, and nothing changed
    assert_platform_unavailable(down)
    pg_proxy.restore()
    assert OrderItem.objects.get(id_sales_order_item=710_000).status == "pending"

    # and once PostgreSQL is back, the same push goes through without restarting anything
    back = eventually(
        lambda: (
            answer
            if (answer := push(app, system, "UpdateItemsStatus", [shipped(710_000, "T-1")])).status
            == 200
            else None
        ),
        what="the application serves again once PostgreSQL is back",
    )
    assert head_of(back)["RequestAction"] == "UpdateItemsStatus"
    assert OrderItem.objects.get(id_sales_order_item=710_000).status == "shipped"
    assert ItemHistory.objects.count() == 1


# --- Redis cut --------------------------------------------------------------------------------


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(base + "/login/", timeout=10).raise_for_status()
    answer = session.post(
        base + "/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": base + "/login/"},
        timeout=10,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def test_redis_down_the_push_api_and_the_seller_screen_carry_on(
    app, redis_proxy, system, seller, make_items
):
    # given a seller's staff logged in, pending items, and Redis gone
    set_seller_user(seller_code=seller.code, username="clerk", password=PASSWORD)
    items = make_items(40, first_id=720_000)
    session = login(app, "clerk")
    redis_proxy.cut()

    # when the OMS pushes 40 requests and the seller browses
    answers = [
        push(app, system, "UpdateItemsStatus", [shipped(item.id_sales_order_item, f"R-{n}")])
        for n, item in enumerate(items)
    ]
    pages = [
        session.get(app + path, timeout=10)
        for path in ("/", f"/orders/{items[0].order.order_number}/", "/items/720000/")
    ]

    # then every push was applied (the throttle let them through) and every page was served
    assert [answer.status for answer in answers] == [200] * 40
    assert OrderItem.objects.filter(status="shipped").count() == 40
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "R-0" in pages[2].text
    redis_proxy.restore()


@pytest.fixture
def oms_server() -> Iterator[OmsServer]:
    keys: dict[str, str | None] = {"key": None}
    server = OmsServer(key=lambda: keys["key"]).start()
    server.keys = keys  # type: ignore[attr-defined]
    yield server
    server.stop()


RETURNED = [
    {"status": "returned", "key": "initiated", "label": "Initiated"},
    {"status": "returned", "key": "return_refused", "label": "Return Refused"},
]


def test_redis_down_the_refresh_resumes_when_it_is_back(
    pg_proxy, redis_proxy, oms_server, tmp_path
):
    # given a worker and beat refreshing every 2 s through the proxies from a good OMS
    issued = create_system(service_name="OMS", networks=["127.0.0.1"], oms_url=oms_server.url)
    oms_server.keys["key"] = issued.secret
    oms_server.responder = lambda parameters: oms_server.check(parameters) or success(RETURNED)
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    environment = proxied_environment(pg_proxy, redis_proxy, STATUS_DETAIL_REFRESH_SECONDS="2")
    worker = ChildProcess(
        [
            "celery",
            "-A",
            "sellercenter",
            "worker",
            "-l",
            "info",
            "-c",
            "2",
            "--without-mingle",
            "--without-gossip",
        ],
        environment,
        tmp_path / "worker.log",
    )
    beat = ChildProcess(
        ["celery", "-A", "sellercenter", "beat", "-l", "info", "-s", str(tmp_path / "schedule")],
        environment,
        tmp_path / "beat.log",
    )

    def succeeded() -> list[StatusDetailRefresh]:
        return list(
            StatusDetailRefresh.objects.filter(outcome=RefreshOutcome.SUCCEEDED).order_by("id")
        )

    try:
        eventually(succeeded, timeout=60, what="a first scheduled refresh")

        # when Redis goes away long enough for the worker to notice
        redis_proxy.cut()
        eventually(
            lambda: (
                "Connection to broker lost" in worker.text()
                or "Cannot connect to redis" in worker.text()
            ),
            timeout=30,
            what="the worker notices the broker is gone",
        )
        before = len(succeeded())
        restored_at = time.time()
        redis_proxy.restore()

        # then refreshes resume by themselves once it is back
        resumed = eventually(
            lambda: [r for r in succeeded()[before:] if r.started_at.timestamp() > restored_at],
            timeout=60,
            what="a refresh succeeds after Redis is back",
        )
        assert resumed[0].trigger == "schedule"
        assert {(o.key, o.active) for o in StatusDetailOption.objects.all()} == {
            ("initiated", True),
            ("return_refused", True),
        }
        assert worker.alive() and beat.alive()
    finally:
        beat.stop()
        worker.stop()


# --- the OMS down, slow or answering garbage, under load ---------------------------------------


def test_bad_oms_under_load_the_push_api_answers_and_the_mapping_stays(
    app, system, oms_server, make_items, settings
):
    # given a good mapping fetched once, items in returned, and an OMS that then misbehaves
    settings.STATUS_DETAIL_REFRESH_SECONDS = 3  # so a slow OMS times out after 1 s
    credential = system.credential
    SystemCredential.objects.filter(pk=credential.pk).update(oms_url=oms_server.url)
    credential.refresh_from_db()
    oms_server.keys["key"] = system.key
    oms_server.responder = lambda parameters: oms_server.check(parameters) or success(RETURNED)
    refresh_status_details(credential=credential)
    good = sorted(StatusDetailOption.objects.values_list("status", "key", "label", "active"))
    items = make_items(30, first_id=730_000, status="returned", reason="Did not fit")
    bad = {
        "slow": Answer(200, {"SuccessResponse": {}}, delay=2),
        "garbage": Answer(200, b"\x00\xff<html>not json"),
        "http 500": Answer(500, b"Internal Server Error"),
        "wrong shape": Answer(200, {"SuccessResponse": {"Body": {"StatusDetailOptions": 7}}}),
    }
    failures: list[str] = []
    stop = threading.Event()

    def refresher() -> None:
        from django.db import connections

        try:
            rounds = [*bad.items(), ("down", None)] * 2
            for name, answer in rounds:
                if answer is None:
                    credential.oms_url = "http://127.0.0.1:9/"  # nothing listens there
                else:
                    credential.oms_url = oms_server.url
                    oms_server.responder = lambda parameters, answer=answer: answer
                try:
                    refresh_status_details(credential=credential, trigger="admin")
                except RefreshFailed as failure:
                    failures.append(f"{name}: {failure.reason}")
                else:
                    failures.append(f"{name}: succeeded?!")
        finally:
            stop.set()
            connections.close_all()

    # when refreshes keep failing while the OMS pushes details for every item, again and again
    thread = threading.Thread(target=refresher)
    thread.start()
    answers: list[ClientResponse] = []
    keys = ["initiated", "return_refused"]
    round_number = 0
    while not stop.is_set() or round_number < 2:
        key = keys[round_number % 2]
        with ThreadPoolExecutor(3) as pool:
            answers.extend(
                pool.map(
                    lambda item, key=key, n=round_number: push(
                        app,
                        system,
                        "UpdateItemsInformation",
                        [
                            {
                                "id_sales_order_item": item.id_sales_order_item,
                                "status_detail": key,
                                "status_event_time": f"2026-11-21 10:{n // 60:02d}:{n % 60:02d}",
                            }
                        ],
                    ),
                    items,
                )
            )
        round_number += 1
    thread.join(timeout=60)

    # then every push was answered and applied, every refresh failed with its reason
    assert [a.status for a in answers] == [200] * len(answers), [a.text for a in answers][:3]
    last_key = keys[(round_number - 1) % 2]
    assert set(OrderItem.objects.values_list("status_detail__key", flat=True)) == {last_key}
    assert ItemHistory.objects.count() == len(answers)
    assert len(failures) == 10
    expected = {
        "slow": "the OMS did not answer within 1 s",
        "garbage": "the OMS's answer is not JSON",
        "http 500": "the OMS answered HTTP 500",
        "wrong shape": "the OMS's answer has no SuccessResponse.Body.StatusDetailOptions list",
        "down": "the OMS cannot be reached",
    }
    for failure in failures:
        name, reason = failure.split(": ", 1)
        assert reason.startswith(expected[name]), failure
    # and the last good mapping is kept, each failure recorded for the service desk
    assert sorted(StatusDetailOption.objects.values_list("status", "key", "label", "active")) == (
        good
    )
    assert StatusDetailRefresh.objects.filter(outcome=RefreshOutcome.FAILED).count() == 10
