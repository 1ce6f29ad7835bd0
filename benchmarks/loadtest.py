"""A bounded load run against a live server on loopback: ``make loadtest``.

``python -m benchmarks.loadtest [--requests N] [--seconds S] [--concurrency C] [--workers W]``

1. makes a scratch database (on the PostgreSQL server ``DATABASE_URL`` names, else a SQLite
   file in a temporary folder), migrates it and loads orders, a system credential and a
   seller's login through the project's own commands and services;
2. starts gunicorn on 127.0.0.1 against it;
3. drives at most N requests, for at most S seconds, from C client threads: a fixed mix of
   pushes of 1, 100 and 1000 items and seller page views (orders list, an order, an item's
   timeline) with a logged-in session;
4. prints throughput, p50, p95 and p99 latency and error counts per kind, and exits non-zero
   when any request failed; then stops the server and drops the scratch database.

Only loopback addresses are ever used.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only, ever
SERVICE = "LOADTEST"
SELLER = "load-seller"
USERNAME = "load-clerk"
ORDERS = 60
ITEMS_PER_ORDER = 20  # 1200 items: a 1000-item push always finds its items
PUSH_SIZES = (1, 100, 1000)
# The mix, as (kind, weight): mostly small pushes and page views, as in a working day.
MIX = (
    ("push 1 item", 40),
    ("push 100 items", 12),
    ("push 1000 items", 3),
    ("page /", 15),
    ("page /orders/<n>/", 15),
    ("page /items/<id>/", 15),
)


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = 0.0
    finished: float = 0.0

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


# --- the scratch database ------------------------------------------------------------------------


@dataclass
class Scratch:
    url: str
    drop: Callable[[], None]


def scratch_database(base_url: str | None) -> Scratch:
    """A new, empty database next to ``base_url`` (PostgreSQL) or in a temporary folder."""
    if base_url and base_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(base_url)
        name = f"sc_loadtest_{uuid.uuid4().hex[:10]}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return Scratch(urlunsplit(parts._replace(path=f"/{name}")), drop)
    folder = Path(tempfile.mkdtemp(prefix="sc-loadtest-"))
    return Scratch(f"sqlite:///{folder / 'loadtest.sqlite3'}", lambda: shutil.rmtree(folder))


def prepare(scratch: Scratch) -> dict[str, object]:
    """Migrate the scratch database and load the data; returns what the clients need."""
    os.environ["DATABASE_URL"] = scratch.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercenter.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from maintenance.credentials import create_system
    from orders.accounts import set_seller_user
    from orders.models import Order, OrderItem

    call_command("migrate", verbosity=0, interactive=False)
    created = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    lines = []
    for number in range(ORDERS):
        lines.append(
            json.dumps(
                {
                    "order_number": f"LT{number:06d}",
                    "seller": SELLER,
                    "created_at": (created + timedelta(minutes=number)).isoformat(),
                    "items": [
                        {
                            "id_sales_order_item": 1_000_000 + number * ITEMS_PER_ORDER + index,
                            "sku": f"LT-{number}-{index}",
                            "name": f"Load item {number}/{index}",
                        }
                        for index in range(ITEMS_PER_ORDER)
                    ],
                }
            )
        )
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as orders_file:
        orders_file.write("\n".join(lines) + "\n")
    try:
        call_command("import_orders", orders_file.name, verbosity=0, stdout=io.StringIO())
    finally:
        os.unlink(orders_file.name)
    issued = create_system(service_name=SERVICE, networks=[HOST])
    password = uuid.uuid4().hex
    set_seller_user(seller_code=SELLER, username=USERNAME, password=password)
    data = {
        "key": issued.secret,
        "password": password,
        "orders": list(
            Order.objects.order_by("order_number").values_list("order_number", flat=True)
        ),
        "items": list(
            OrderItem.objects.order_by("id_sales_order_item").values_list(
                "id_sales_order_item", flat=True
            )
        ),
    }
    connections.close_all()
    return data


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, *, workers: int, environment: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "sellercenter.wsgi:application",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                "2",
                "--timeout",
                "120",
            ],
            cwd=BASE_DIR,
            env=environment,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn stopped:\n" + self.log.read_text(errors="replace"))
            try:
                if requests.get(self.base + "/login/", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)  # polling interval
        raise SystemExit(f"gunicorn did not answer within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


# --- the clients -----------------------------------------------------------------------------


def login(base: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(base + "/login/", timeout=30).raise_for_status()
    answer = session.post(
        base + "/login/",
        data={
            "username": USERNAME,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": base + "/login/"},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"the seller login failed: HTTP {answer.status_code}")
    return session


class Driver:
    """Hands out the planned requests and runs them, until the count or the time is up."""

    def __init__(self, *, base: str, data: dict, total: int, seconds: float, seed: int) -> None:
        self.base = base
        self.data = data
        self.deadline = time.monotonic() + seconds
        chooser = random.Random(seed)
        kinds = [kind for kind, _ in MIX]
        weights = [weight for _, weight in MIX]
        self.plan: Iterator[tuple[int, str]] = iter(
            enumerate(chooser.choices(kinds, weights=weights, k=total))
        )
        self.plan_lock = threading.Lock()
        self.picker = random.Random(seed + 1)
        self.results = Results()
        self.event_base = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)

    def next(self) -> tuple[int, str] | None:
        with self.plan_lock:
            if time.monotonic() > self.deadline:
                return None
            return next(self.plan, None)

    def run(self, concurrency: int) -> Results:
        self.results.started = time.perf_counter()
        threads = [threading.Thread(target=self._client) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.results.finished = time.perf_counter()
        return self.results

    def _client(self) -> None:
        session = login(self.base, self.data["password"])
        api = requests.Session()
        while (planned := self.next()) is not None:
            number, kind = planned
            started = time.perf_counter()
            try:
                ok, detail = self._one(session, api, number, kind)
            except requests.RequestException as exc:
                ok, detail = False, type(exc).__name__
            self.results.add(Sample(kind, time.perf_counter() - started, ok, detail))

    def _one(
        self, session: requests.Session, api: requests.Session, number: int, kind: str
    ) -> tuple[bool, str]:
        items: list[int] = self.data["items"]
        with self.plan_lock:
            pick = self.picker.randrange(10**9)
        if kind.startswith("push"):
            size = int(kind.split()[1])
            start = pick % (len(items) - size + 1)
            moment = (self.event_base + timedelta(seconds=number)).strftime("%Y-%m-%d %H:%M:%S")
            body = {
                "Request": {
                    "Items": [
                        {
                            "id_sales_order_item": item_id,
                            "item_status": "shipped",
                            "shipping_carrier": "DHL",
                            "tracking_code": f"LT-{number}",
                            "status_event_time": moment,
                        }
                        for item_id in items[start : start + size]
                    ]
                }
            }
            from omsapi.client import signed_url

            answer = api.post(
                signed_url(
                    url=self.base + "/oms-api/",
                    service_name=SERVICE,
                    api_key=self.data["key"],
                    action="UpdateItemsStatus",
                ),
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                timeout=120,
            )
            ok = answer.status_code == 200 and "SuccessResponse" in answer.text[:40]
            return ok, f"HTTP {answer.status_code}"
        if kind == "page /":
            path = "/"
        elif kind == "page /orders/<n>/":
            path = f"/orders/{self.data['orders'][pick % len(self.data['orders'])]}/"
        else:
            path = f"/items/{items[pick % len(items)]}/"
        answer = session.get(self.base + path, timeout=120, allow_redirects=False)
        return answer.status_code == 200, f"HTTP {answer.status_code}"


# --- the report ------------------------------------------------------------------------------


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * share // 1))
    return sorted_values[int(rank) - 1]


def table(results: Results) -> str:
    wall = max(results.finished - results.started, 1e-9)
    header = (
        f"{'kind':<20} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    rows = [header, "-" * len(header)]
    groups = [(kind, [s for s in results.samples if s.kind == kind]) for kind, _ in MIX]
    groups.append(("all", list(results.samples)))
    for kind, samples in groups:
        times = sorted(s.seconds * 1000 for s in samples)
        errors = sum(1 for s in samples if not s.ok)
        rows.append(
            f"{kind:<20} {len(samples):>8} {errors:>6} {len(samples) / wall:>8.1f} "
            f"{percentile(times, 0.50):>8.1f} {percentile(times, 0.95):>8.1f} "
            f"{percentile(times, 0.99):>8.1f}"
        )
    failures = sorted({f"{s.kind}: {s.detail}" for s in results.samples if not s.ok})
    if failures:
        rows.append("errors: " + "; ".join(failures))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadtest", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests")
    parser.add_argument("--seconds", type=float, default=120, help="at most this long")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=20261127, help="the mix's random seed")
    options = parser.parse_args(argv)
    for name in ("requests", "concurrency", "workers"):
        if getattr(options, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if options.seconds <= 0:
        parser.error("--seconds must be positive")

    scratch = scratch_database(os.environ.get("DATABASE_URL"))
    server: Server | None = None
    log_folder = Path(tempfile.mkdtemp(prefix="sc-loadtest-log-"))
    try:
        data = prepare(scratch)
        environment = {
            **os.environ,
            "DATABASE_URL": scratch.url,
            "OMS_API_THROTTLE": "1000000/min",  # the run measures the work, not the throttle
            "LOG_LEVEL": "WARNING",
        }
        server = Server(
            workers=options.workers, environment=environment, log=log_folder / "gunicorn.log"
        )
        server.wait_ready()
        driver = Driver(
            base=server.base,
            data=data,
            total=options.requests,
            seconds=options.seconds,
            seed=options.seed,
        )
        results = driver.run(options.concurrency)
        database = "PostgreSQL" if scratch.url.startswith("postgres") else "SQLite"
        print(
            f"load test: {len(results.samples)} requests in "
            f"{results.finished - results.started:.1f} s, {options.concurrency} clients, "
            f"gunicorn {options.workers} workers x 2 threads on {HOST}, {database}, "
            f"{ORDERS * ITEMS_PER_ORDER} items"
        )
        print(table(results))
        return 1 if any(not s.ok for s in results.samples) else 0
    finally:
        if server is not None:
            server.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not have been set up
            pass
        scratch.drop()
        shutil.rmtree(log_folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
