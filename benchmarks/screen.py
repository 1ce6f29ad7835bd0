"""The seller's screen with a large seller: the orders list and an item's timeline.

A seller with 100,000 items (50,000 orders of two items, every status, status details on the
returned and failed ones, one history row per item) is made with set-based SQL in a second or
two, next to a smaller seller so that the seller filter matters. Each page is then requested
through Django's full stack (session, login, view, template) with the test client, and the
server time's median is printed. Target: under 100 ms a page on PostgreSQL.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from orders.models import ItemHistory, Order, OrderItem, Seller, SellerStaff, StatusDetailOption
from orders.selectors import Cursor
from orders.state_machine import ItemStatus

ORDERS = 50_000
ITEMS_PER_ORDER = 2
OTHER_ORDERS = 10_000
TIMELINE_EVENTS = 40
RUNS = 21
WARMUP = 3
TARGET_MS = 100
# OMS ids far from the ones other benchmarks use.
FIRST_ITEM_ID = 900_000_000


def _numbers_cte(count: int) -> tuple[str, list]:
    return (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) ",
        [count],
    )


def _minutes_after(start_param: str, minutes_sql: str) -> str:
    if connection.vendor == "postgresql":
        return f"({start_param}::timestamptz + ({minutes_sql}) * interval '1 minute')"
    return f"datetime({start_param}, '+' || ({minutes_sql}) || ' minutes')"


def _status_case(number_sql: str) -> str:
    statuses = list(ItemStatus)
    whens = " ".join(f"WHEN {index} THEN '{status.value}'" for index, status in enumerate(statuses))
    return f"CASE (({number_sql}) %% {len(statuses)}) {whens} END"


def _make_seller(code: str, orders: int, prefix: str, first_item_id: int) -> Seller:
    """``orders`` orders of ``ITEMS_PER_ORDER`` items each, one minute apart, in bulk SQL."""
    seller = Seller.objects.create(code=code, name=code)
    start = "2026-01-01 00:00:00" if connection.vendor == "sqlite" else "2026-01-01T00:00:00Z"
    order_table = Order._meta.db_table
    item_table = OrderItem._meta.db_table
    history_table = ItemHistory._meta.db_table
    # Equal creation times every ten orders, so the keyset's tie-break on id is exercised.
    created = _minutes_after("%s", "i / 10")
    cte, params = _numbers_cte(orders)
    with connection.cursor() as cursor:
        cursor.execute(
            cte + f"INSERT INTO {order_table} (seller_id, order_number, created_at) "
            f"SELECT %s, %s || CAST(i AS TEXT), {created} FROM n",
            [*params, seller.pk, prefix, start],
        )
        returned = StatusDetailOption.objects.get(status="returned").pk
        failed = StatusDetailOption.objects.get(status="failed_delivery").pk
        now = timezone.now()
        status = _status_case("o.id * 2 + k.k")
        event_time = _minutes_after("%s", "30")
        cursor.execute(
            f"INSERT INTO {item_table} (order_id, seller_id, id_sales_order_item, sku, name,"
            " status, status_detail_id, status_event_time, reason, shipping_carrier,"
            " tracking_code, package_status, created_at, updated_at)"
            f" SELECT o.id, o.seller_id, %s + (o.id - m.first) * {ITEMS_PER_ORDER} + k.k,"
            " 'SKU-' || CAST(o.id AS TEXT), 'Runner, red, 42',"
            f" {status},"
            f" CASE {status} WHEN 'returned' THEN %s WHEN 'failed_delivery' THEN %s END,"
            f" CASE WHEN {status} = 'pending' THEN NULL ELSE {event_time} END,"
            " '', 'DHL', 'T' || CAST(o.id AS TEXT), '', o.created_at, o.created_at"
            f" FROM {order_table} o"
            f" CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) k"
            f" CROSS JOIN (SELECT MIN(id) AS first FROM {order_table} WHERE seller_id = %s) m"
            " WHERE o.seller_id = %s",
            [first_item_id, returned, failed, start, seller.pk, seller.pk],
        )
        cursor.execute(
            f"INSERT INTO {history_table} (item_id, kind, status, status_detail_id, reason,"
            " shipping_carrier, tracking_code, package_status, status_event_time, received_at,"
            " applied, system, request_id, fingerprint)"
            " SELECT id, 'status', status, status_detail_id, '', shipping_carrier,"
            " tracking_code, '', status_event_time, %s, TRUE, 'OMS', 'bench',"
            " 'bench-' || CAST(id AS TEXT)"
            f" FROM {item_table} WHERE seller_id = %s AND status_event_time IS NOT NULL",
            [now, seller.pk],
        )
    return seller


def _make_data() -> tuple[Seller, OrderItem]:
    now = timezone.now()
    for status, key, label in [
        ("returned", "with_3pl_on_way_to_seller", "With 3PL on way to Seller"),
        ("failed_delivery", "with_venture", "With Venture"),
    ]:
        StatusDetailOption.objects.get_or_create(
            status=status,
            key=key,
            defaults={"label": label, "first_seen_at": now, "last_seen_at": now},
        )
    with transaction.atomic():
        other_first = FIRST_ITEM_ID + ORDERS * ITEMS_PER_ORDER
        _make_seller("bench-other", OTHER_ORDERS, "SCO", other_first)
        seller = _make_seller("bench-big", ORDERS, "SCR", FIRST_ITEM_ID)
        item = OrderItem.objects.filter(seller=seller, status="returned").order_by("-id").first()
        detail = StatusDetailOption.objects.get(status="returned")
        ItemHistory.objects.bulk_create(
            [
                ItemHistory(
                    item=item,
                    kind="information",
                    status="returned",
                    status_detail=detail,
                    status_event_time=now - timedelta(hours=TIMELINE_EVENTS - n),
                    received_at=now,
                    applied=n % 5 != 0,
                    system="OMS",
                    fingerprint=f"bench-timeline-{n}",
                )
                for n in range(TIMELINE_EVENTS)
            ]
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return seller, item


def _median_ms(client: Client, url: str) -> tuple[float, int]:
    status = 0
    for _ in range(WARMUP):
        status = client.get(url).status_code
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    return statistics.median(times), status


def run() -> None:
    started = time.perf_counter()
    seller, item = _make_data()
    made_in = time.perf_counter() - started
    user = User.objects.create_user(username="bench-seller")
    SellerStaff.objects.create(user=user, seller=seller)
    client = Client()
    client.force_login(user)

    items = OrderItem.objects.filter(seller=seller).count()
    last_page = -(-ORDERS // 50)
    deep = Order.objects.filter(seller=seller).order_by("created_at", "id")[100].pk
    deep_cursor = Cursor.of(Order.objects.get(pk=deep)).encode()
    pages = [
        ("orders list, first page (All)", "/"),
        ("orders list, Returned tab", "/?status=returned"),
        (f"orders list, page {last_page - 1} of {last_page} (keyset)", f"/?after={deep_cursor}"),
        ("orders list, search by order number prefix", "/?q=SCR4999"),
        ("orders list, one week", "/?date_from=2026-01-05&date_to=2026-01-11"),
        (f"item timeline, {TIMELINE_EVENTS} events", f"/items/{item.id_sales_order_item}/"),
    ]
    print(
        f"\nSeller screen: one seller with {items:,} items ({connection.vendor}; data made in"
        f" {made_in:.1f} s); server time, median of {RUNS}, target < {TARGET_MS} ms"
    )
    print(f"{'page':<58} {'status':>6} {'median ms':>10}")
    for label, url in pages:
        median, status = _median_ms(client, url)
        print(f"{label:<58} {status:>6} {median:>10.1f}")
    # The rows above keep the tab counts in the cache for a minute, as production does; this
    # one counts them on every view, which is what a page costs once a minute.
    with override_settings(SELLER_TAB_COUNTS_CACHE_SECONDS=0):
        median, status = _median_ms(client, "/")
    print(f"{'orders list, first page, tab counts counted live':<58} {status:>6} {median:>10.1f}")


if __name__ == "__main__":  # pragma: no cover - python -m benchmarks runs it in turn
    raise SystemExit("run it with: python -m benchmarks")
