"""The OMS API's write speed: a 4000-item ``UpdateItemsStatus`` four ways.

1. through the full HTTP stack: a real gunicorn web process, the reference client signing,
   authentication, the write path, the request log row (items/s, median of several runs);
2. the write path alone (``apply_status_updates``);
3. a naive ORM baseline: get, save and create a history row per item, in one transaction;
4. a raw-SQL floor (PostgreSQL): one locking SELECT, one ``UPDATE ... FROM unnest``, one
   ``INSERT ... SELECT unnest``; nothing checked, nothing logged.

Every run ships 4000 fresh pending items, so each one is a real change with its history row
(and its unique fingerprint). The table ends with the ratios and the web process's peak memory.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection, transaction
from django.utils import timezone

from maintenance.credentials import create_system
from omsapi.client import send
from orders.models import ItemEventKind, ItemHistory, Order, OrderItem, Seller
from orders.status_updates import StatusUpdate, apply_status_updates

BATCH = 4000
HTTP_RUNS = 5
WRITE_PATH_RUNS = 5
NAIVE_RUNS = 3
# The naive baseline costs the same for every item, so a slice of the batch measures its rate
# and keeps `make bench` short.
NAIVE_SLICE = 1000
FLOOR_RUNS = 5
ROOT = Path(__file__).resolve().parent.parent

_next_id = itertools.count(10_000_000, BATCH)


def _fresh_items(seller: Seller) -> list[int]:
    """4000 new pending items in one order; their OMS ids."""
    first = next(_next_id)
    now = timezone.now()
    order = Order.objects.create(seller=seller, order_number=f"B{first}", created_at=now)
    OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                seller=seller,
                id_sales_order_item=first + i,
                sku=f"S{first + i}",
                name="Bench item",
                created_at=now,
                updated_at=now,
            )
            for i in range(BATCH)
        ],
        batch_size=2000,
    )
    return list(range(first, first + BATCH))


def _status_items(ids: list[int]) -> list[dict]:
    return [
        {
            "id_sales_order_item": i,
            "item_status": "shipped",
            "shipping_carrier": "DHL",
            "tracking_code": f"T{i}",
            "status_event_time": "2026-11-20 10:00:00",
        }
        for i in ids
    ]


def _median_rate(
    runs: int, prepare: Callable[[], object], act: Callable[[object], None], count: int = BATCH
) -> float:
    rates = []
    for _ in range(runs):
        prepared = prepare()
        started = time.perf_counter()
        act(prepared)
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


# --- 1. the full HTTP stack ------------------------------------------------------------------


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = quote(s.get("USER") or "", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0]) if children else master


def _wait_until_serving(port: int, process: subprocess.Popen, deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the web process exited on start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # polling a port that is not open yet
    raise RuntimeError("the web process did not start serving in time")


def _http_rate(seller: Seller, key: str) -> tuple[float, int, int]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "OMS_API_THROTTLE": "100000/min"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sellercenter.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_until_serving(port, process)
        url = f"http://127.0.0.1:{port}/oms-api/"
        worker = _worker_pid(process.pid)
        # One small request first: imports and connections are not the batch's cost.
        warm = _status_items(_fresh_items(seller)[:1])
        send(
            url=url,
            service_name="BENCH",
            api_key=key,
            action="UpdateItemsStatus",
            body={"Request": {"Items": warm}},
        )
        before = _peak_rss_kib(worker)

        def act(body: object) -> None:
            answer = send(
                url=url,
                service_name="BENCH",
                api_key=key,
                action="UpdateItemsStatus",
                body=body,
                timeout=120,
            )  # type: ignore[arg-type]
            if answer.status != 200:
                raise RuntimeError(f"HTTP {answer.status}: {answer.text[:300]}")

        def prepare() -> bytes:
            import json

            return json.dumps({"Request": {"Items": _status_items(_fresh_items(seller))}}).encode()

        rate = _median_rate(HTTP_RUNS, prepare, act)
        return rate, before, _peak_rss_kib(worker)
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- 2. the write path alone -----------------------------------------------------------------


def _write_path_rate(seller: Seller) -> float:
    def prepare() -> list[StatusUpdate]:
        at = timezone.now()
        return [
            StatusUpdate(
                i, "shipped", shipping_carrier="DHL", tracking_code=f"T{i}", status_event_time=at
            )
            for i in _fresh_items(seller)
        ]

    def act(items: object) -> None:
        apply_status_updates(items=items, system="BENCH", request_id="bench")  # type: ignore[arg-type]

    return _median_rate(WRITE_PATH_RUNS, prepare, act)


# --- 3. the naive ORM baseline ---------------------------------------------------------------


def _naive_rate(seller: Seller) -> float:
    def act(ids: object) -> None:
        now = timezone.now()
        with transaction.atomic():
            for i in ids:  # type: ignore[attr-defined]
                item = OrderItem.objects.select_for_update().get(id_sales_order_item=i)
                item.status = "shipped"
                item.shipping_carrier = "DHL"
                item.tracking_code = f"T{i}"
                item.status_event_time = now
                item.updated_at = now
                item.save()
                ItemHistory.objects.create(
                    item=item,
                    kind=ItemEventKind.STATUS,
                    status="shipped",
                    shipping_carrier="DHL",
                    tracking_code=f"T{i}",
                    status_event_time=now,
                    received_at=now,
                    applied=True,
                    system="BENCH",
                    request_id="naive",
                    fingerprint=hashlib.sha256(f"naive{i}".encode()).hexdigest(),
                )

    return _median_rate(
        NAIVE_RUNS, lambda: _fresh_items(seller)[:NAIVE_SLICE], act, count=NAIVE_SLICE
    )


# --- 4. the raw-SQL floor --------------------------------------------------------------------


def _floor_rate(seller: Seller) -> float | None:
    if connection.vendor != "postgresql":
        return None

    def act(ids: object) -> None:
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM orders_orderitem WHERE id_sales_order_item = ANY(%s) "
                "ORDER BY id FOR UPDATE",
                [list(ids)],  # type: ignore[call-overload]
            )
            pks = [row[0] for row in cursor.fetchall()]
            tracking = [f"T{pk}" for pk in pks]
            cursor.execute(
                "UPDATE orders_orderitem SET status = 'shipped', shipping_carrier = 'DHL', "
                "tracking_code = u.tracking, status_event_time = %s, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::varchar[]) AS u(id, tracking) "
                "WHERE orders_orderitem.id = u.id",
                [now, now, pks, tracking],
            )
            cursor.execute(
                "INSERT INTO orders_itemhistory (item_id, kind, status, reason, shipping_carrier,"
                " tracking_code, package_status, status_event_time, received_at, applied, system,"
                " request_id, fingerprint) SELECT u.id, 'status', 'shipped', '', 'DHL', u.tracking,"
                " '', %s, %s, true, 'BENCH', 'floor', u.fp"
                " FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[]) AS u(id, tracking, fp)",
                [now, now, pks, tracking, [f"floor-{pk}" for pk in pks]],
            )

    return _median_rate(FLOOR_RUNS, lambda: _fresh_items(seller), act)


# --- the table -------------------------------------------------------------------------------


def run() -> None:
    seller = Seller.objects.create(code="bench", name="Bench")
    issued = create_system(service_name="BENCH", networks=["127.0.0.1", "::1"])
    http, rss_before, rss_after = _http_rate(seller, issued.secret)
    write_path = _write_path_rate(seller)
    naive = _naive_rate(seller)
    floor = _floor_rate(seller)

    def ratio(a: float, b: float | None) -> str:
        return f"{a / b:.2f}x" if b else "n/a"

    rows = [
        (f"HTTP path (gunicorn, signed, logged; median of {HTTP_RUNS})", http),
        (f"write path alone (median of {WRITE_PATH_RUNS})", write_path),
        (
            f"naive ORM per item: get, save, create ({NAIVE_SLICE} items, median of {NAIVE_RUNS})",
            naive,
        ),
        (f"raw SQL floor: SELECT FOR UPDATE, UPDATE/INSERT unnest (median of {FLOOR_RUNS})", floor),
    ]
    print(f"\nOMS API: UpdateItemsStatus, {BATCH} items a request ({connection.vendor})")
    print(f"{'path':<78} {'items/s':>10}")
    for label, rate in rows:
        print(f"{label:<78} {f'{rate:,.0f}' if rate else 'n/a':>10}")
    print(f"{'HTTP path / raw SQL floor (target >= 0.5x)':<78} {ratio(http, floor):>10}")
    print(f"{'HTTP path / naive ORM (target >= 5x)':<78} {ratio(http, naive):>10}")
    print(f"{'write path / raw SQL floor':<78} {ratio(write_path, floor):>10}")
    print(f"{'write path / naive ORM':<78} {ratio(write_path, naive):>10}")
    print(
        f"{'web process peak RSS before / after the 4000-item requests (MiB)':<78} "
        f"{f'{rss_before / 1024:.0f} / {rss_after / 1024:.0f}':>10}"
    )
