"""Concurrency through the whole HTTP stack, on PostgreSQL and a live (threaded) server.

Eight senders push overlapping batches at once: the same items, in opposite orders, with event
times shuffled so that the newest event of an item may arrive first or last, and every request
is sent twice (at-least-once delivery). Every event of an item has its own tracking code and
event time, so each distinct event must end up as exactly one history row, whether it was
applied or arrived late, however often it was delivered.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections

from maintenance.credentials import create_system
from omsapi.client import ClientResponse, send
from orders.models import ItemHistory, OrderItem
from tests.conftest import at, require_postgresql

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SENDERS = 8
ITEMS = 60
FIRST_ID = 800_000
BATCH = 20
T0 = at("2026-11-20 08:00:00")


def event(sender: int, item_id: int, minute: int) -> dict:
    return {
        "id_sales_order_item": item_id,
        "item_status": "shipped",
        "shipping_carrier": "DHL",
        "tracking_code": f"S{sender}-{item_id}",
        "status_event_time": (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S"),
    }


def test_eight_senders_overlapping_batches_each_twice(live_server, make_items, settings):
    # given 60 pending items and, for each item, one event per sender at shuffled times
    require_postgresql()
    settings.OMS_API_THROTTLE = "100000/min"
    issued = create_system(service_name="OMS", networks=["127.0.0.1"])
    make_items(ITEMS, first_id=FIRST_ID)
    ids = list(range(FIRST_ID, FIRST_ID + ITEMS))
    shuffle = random.Random(20261120)
    minute_of: dict[tuple[int, int], int] = {}
    for item_id in ids:
        minutes = list(range(SENDERS))
        shuffle.shuffle(minutes)
        for sender in range(SENDERS):
            minute_of[(sender, item_id)] = minutes[sender]
    # Each sender covers every item in three batches, even senders upwards, odd ones downwards;
    # every batch goes twice, the copy later in the sender's own shuffled order.
    plans: list[list[list[dict]]] = []
    for sender in range(SENDERS):
        order = ids if sender % 2 == 0 else list(reversed(ids))
        batches = [
            [event(sender, i, minute_of[(sender, i)]) for i in order[start : start + BATCH]]
            for start in range(0, ITEMS, BATCH)
        ]
        deliveries = batches + batches
        shuffle.shuffle(deliveries)
        plans.append(deliveries)
    answers: list[ClientResponse] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(SENDERS)

    def run(plan: list[list[dict]]) -> None:
        try:
            barrier.wait(timeout=30)
            for items in plan:
                answer = send(
                    url=live_server.url + "/oms-api/",
                    service_name="OMS",
                    api_key=issued.secret,
                    action="UpdateItemsStatus",
                    body={"Request": {"Items": items}},
                    timeout=60,
                )
                with lock:
                    answers.append(answer)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    # when the eight senders push at once
    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then every request was answered with a success envelope: no 5xx, no deadlock
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    assert len(answers) == SENDERS * 3 * 2
    assert Counter(answer.status for answer in answers) == {200: SENDERS * 6}, [
        answer.text[:300] for answer in answers if answer.status != 200
    ][:3]
    assert all("SuccessResponse" in answer.json for answer in answers)
    assert not any("deadlock" in answer.text.lower() for answer in answers)

    # and the newest event won on every item
    newest = {
        item_id: max(range(SENDERS), key=lambda s, i=item_id: minute_of[(s, i)]) for item_id in ids
    }
    assert {
        item.id_sales_order_item: (item.status, item.tracking_code, item.status_event_time)
        for item in OrderItem.objects.filter(id_sales_order_item__in=ids)
    } == {
        item_id: ("shipped", f"S{newest[item_id]}-{item_id}", T0 + timedelta(minutes=SENDERS - 1))
        for item_id in ids
    }

    # and every distinct event is in the history exactly once, the newest one applied
    rows = Counter(
        ItemHistory.objects.filter(item__id_sales_order_item__in=ids).values_list(
            "item__id_sales_order_item", "tracking_code", "status_event_time"
        )
    )
    assert rows == Counter(
        {
            (i, f"S{s}-{i}", T0 + timedelta(minutes=minute_of[(s, i)])): 1
            for s in range(SENDERS)
            for i in ids
        }
    )
    assert set(
        ItemHistory.objects.filter(status_event_time=T0 + timedelta(minutes=SENDERS - 1))
        .values_list("applied", flat=True)
        .distinct()
    ) == {True}
