"""The reads of the seller's screen: cursors, tab counts in one query, keyset pages, export."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest

from orders.models import Order, OrderItem
from orders.selectors import (
    ALL,
    Cursor,
    InvalidCursor,
    OrderFilter,
    export_items,
    orders_page,
    status_counts,
)
from tests.conftest import at

pytestmark = pytest.mark.django_db


def orders_at(seller, times: list[str], statuses: list[list[str]] | None = None) -> list[Order]:
    made = []
    for index, when in enumerate(times):
        order = Order.objects.create(seller=seller, order_number=f"O{index}", created_at=at(when))
        for position, status in enumerate((statuses or [["pending"]] * len(times))[index]):
            OrderItem.objects.create(
                order=order,
                seller=seller,
                id_sales_order_item=index * 10 + position,
                sku="S",
                name="N",
                status=status,
                created_at=order.created_at,
                updated_at=order.created_at,
            )
        made.append(order)
    return made


def test_cursor_round_trips():
    cursor = Cursor(created_at=at("2026-11-20 08:15:00") + timedelta(microseconds=7), order_id=42)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "text",
    ["", "!!!", "bm90LWEtY3Vyc29y", Cursor(at("2026-11-20 08:15:00"), 0).encode(), "MjAyNnwx"],
)
def test_a_cursor_not_made_here_is_refused(text):
    with pytest.raises(InvalidCursor, match="the page link is not valid"):
        Cursor.decode(text)


def test_naive_time_in_a_cursor_is_refused():
    text = base64.urlsafe_b64encode(b"2026-11-20T08:15:00|4").decode()
    with pytest.raises(InvalidCursor):
        Cursor.decode(text)


def test_status_counts_are_one_query_and_count_orders_once(
    seller, other_seller, django_assert_num_queries
):
    orders_at(
        seller,
        ["2026-11-20 01:00:00", "2026-11-20 02:00:00"],
        [["shipped", "shipped", "pending"], ["shipped"]],
    )
    theirs = Order.objects.create(
        seller=other_seller, order_number="X", created_at=at("2026-11-20 01:00:00")
    )
    OrderItem.objects.create(
        order=theirs,
        seller=other_seller,
        id_sales_order_item=999,
        sku="S",
        name="N",
        status="returned",
        created_at=theirs.created_at,
        updated_at=theirs.created_at,
    )

    with django_assert_num_queries(1):
        counts = status_counts(seller, OrderFilter())

    assert counts == {
        ALL: 2,
        "pending": 1,
        "ready_to_ship": 0,
        "shipped": 2,
        "delivered": 0,
        "canceled": 0,
        "failed_delivery": 0,
        "return_shipped_by_customer": 0,
        "returned": 0,
    }


def test_status_counts_follow_the_date_range(seller):
    orders_at(seller, ["2026-11-19 23:00:00", "2026-11-20 01:00:00"], [["shipped"], ["pending"]])
    counts = status_counts(seller, OrderFilter(date_from=date(2026, 11, 20)))
    assert (counts[ALL], counts["pending"], counts["shipped"]) == (1, 1, 0)


def test_keyset_pages_break_ties_on_id(seller):
    # given five orders sharing one creation time
    made = orders_at(seller, ["2026-11-20 01:00:00"] * 5)
    newest_first = sorted(made, key=lambda o: o.pk, reverse=True)

    first = orders_page(seller, OrderFilter(), page_size=2)
    second = orders_page(seller, OrderFilter(), after=first.next_cursor, page_size=2)
    third = orders_page(seller, OrderFilter(), after=second.next_cursor, page_size=2)
    back = orders_page(seller, OrderFilter(), before=third.previous_cursor, page_size=2)

    assert [o.pk for o in first.orders] == [o.pk for o in newest_first[:2]]
    assert [o.pk for o in second.orders] == [o.pk for o in newest_first[2:4]]
    assert [o.pk for o in third.orders] == [newest_first[4].pk]
    assert third.next_cursor is None
    assert [o.pk for o in back.orders] == [o.pk for o in second.orders]
    assert first.previous_cursor is None


def test_a_page_brings_its_items_with_their_details(seller, django_assert_num_queries):
    orders_at(
        seller, ["2026-11-20 01:00:00", "2026-11-20 02:00:00"], [["shipped"] * 3, ["pending"]]
    )

    with django_assert_num_queries(2):
        page = orders_page(seller, OrderFilter())
        seen = [(item.status, item.status_detail) for o in page.orders for item in o.items.all()]

    assert seen == [("pending", None), ("shipped", None), ("shipped", None), ("shipped", None)]


def test_export_items_keep_list_order_and_whole_orders(seller, django_assert_num_queries):
    orders_at(
        seller,
        ["2026-11-20 01:00:00", "2026-11-20 02:00:00", "2026-11-20 03:00:00"],
        [["pending", "shipped"], ["delivered"], ["shipped"]],
    )

    with django_assert_num_queries(1):
        rows = [
            (item.order.order_number, item.status)
            for item in export_items(seller, OrderFilter(status="shipped"))
        ]

    assert rows == [("O2", "shipped"), ("O0", "pending"), ("O0", "shipped")]
