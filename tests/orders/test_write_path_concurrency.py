"""Concurrent batches over the same items, on PostgreSQL with real row locks.

Two transactions update overlapping items in opposite orders: they must finish without a
deadlock, the newest event must win on every item, and every distinct event must be in the
history exactly once.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from orders.models import ItemHistory, OrderItem
from orders.status_updates import StatusUpdate, apply_status_updates
from tests.conftest import at, require_postgresql

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.writepath]

T0 = at("2026-11-20 10:00:00")


def run_concurrently(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_opposite_orders_never_deadlock_and_the_newest_event_wins(make_items):
    require_postgresql()
    items = make_items(300, first_id=500_000)
    ids = [item.id_sales_order_item for item in items]

    for round_number in range(5):
        older = T0 + timedelta(hours=2 * round_number)
        newer = older + timedelta(hours=1)
        tracking_old, tracking_new = f"OLD-{round_number}", f"NEW-{round_number}"

        def send_old(ids=ids, older=older, tracking=tracking_old):
            apply_status_updates(
                items=[
                    StatusUpdate(
                        i,
                        "shipped",
                        shipping_carrier="DHL",
                        tracking_code=tracking,
                        status_event_time=older,
                    )
                    for i in ids
                ],
                system="OMS",
                request_id="old",
            )

        def send_new(ids=ids, newer=newer, tracking=tracking_new):
            apply_status_updates(
                items=[
                    StatusUpdate(
                        i,
                        "shipped",
                        shipping_carrier="DHL",
                        tracking_code=tracking,
                        status_event_time=newer,
                    )
                    for i in reversed(ids)
                ],
                system="OMS",
                request_id="new",
            )

        errors = run_concurrently(send_old, send_new, send_new, send_old)

        assert errors == []
        assert set(
            OrderItem.objects.filter(id_sales_order_item__in=ids).values_list(
                "tracking_code", "status_event_time"
            )
        ) == {(tracking_new, newer)}
        for tracking, moment in ((tracking_old, older), (tracking_new, newer)):
            assert ItemHistory.objects.filter(
                tracking_code=tracking, status_event_time=moment
            ).count() == len(ids)
    assert connection.vendor == "postgresql"
