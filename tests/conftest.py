"""Shared fixtures: sellers, orders and items in any status, and the real-parts switch.

A test that needs a real part (PostgreSQL, Redis, a Celery worker, Chromium) calls
``require_real_part``: locally it skips with the reason; with ``REQUIRE_REAL_PARTS=1`` (CI) it
fails instead, so a missing part can never pass unnoticed.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Order, OrderItem, Seller, StatusDetailOption

REQUIRE_REAL_PARTS = os.environ.get("REQUIRE_REAL_PARTS", "").strip().lower() in {"1", "true"}


def require_real_part(available: bool, reason: str) -> None:
    """Skip (locally) or fail (CI) a test whose real part is missing."""
    if available:
        return
    if REQUIRE_REAL_PARTS:
        pytest.fail(f"real part missing and REQUIRE_REAL_PARTS is set: {reason}", pytrace=False)
    pytest.skip(reason)


def require_postgresql() -> None:
    require_real_part(
        connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL to a postgres:// URL"
    )


_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def live_tab_counts(settings):
    """Tab counts counted on every page view, so a test sees its own changes at once; the
    cache of the counts has tests of its own."""
    settings.SELLER_TAB_COUNTS_CACHE_SECONDS = 0


@pytest.fixture
def seller(db) -> Seller:
    return Seller.objects.create(code="acme-shoes", name="Acme Shoes")


@pytest.fixture
def other_seller(db) -> Seller:
    return Seller.objects.create(code="bolt-bags", name="Bolt Bags")


@pytest.fixture
def make_items(db, seller):
    """Make ``count`` items in one new order, with consecutive OMS ids from ``first_id``."""

    def make(
        count: int = 1,
        *,
        first_id: int | None = None,
        status: str = "pending",
        order_seller: Seller | None = None,
        **fields,
    ) -> list[OrderItem]:
        number = next(_numbers)
        owner = order_seller or seller
        created = timezone.now()
        order = Order.objects.create(
            seller=owner, order_number=f"T{number:08d}", created_at=created
        )
        start = first_id if first_id is not None else 100000 + number * 10000
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    seller=owner,
                    id_sales_order_item=start + index,
                    sku=f"SKU-{start + index}",
                    name=f"Item {start + index}",
                    status=status,
                    created_at=created,
                    updated_at=created,
                    **fields,
                )
                for index in range(count)
            ]
        )
        return list(order.items.order_by("id_sales_order_item"))

    return make


@pytest.fixture
def detail_options(db) -> dict[tuple[str, str], StatusDetailOption]:
    """The options of the feature description, as a refresh from the OMS would leave them."""
    now = timezone.now()
    spec = {
        "returned": [
            ("initiated", "Initiated"),
            ("with_3pl_on_way_to_venture", "With 3PL on way to Venture"),
            ("with_venture_awaiting_processing", "With Venture awaiting processing"),
            ("with_venture_awaiting_return_to_seller", "With Venture awaiting return to Seller"),
            ("return_refused", "Return Refused"),
            ("with_3pl_on_way_to_seller", "With 3PL on way to Seller"),
            ("returned_to_seller", "Returned to Seller"),
        ],
        "failed_delivery": [
            ("with_3pl_on_way_to_venture", "With 3PL on way to Venture"),
            ("returned_to_seller", "Returned to Seller"),
            ("with_3pl_on_way_to_seller", "With 3PL on way to Seller"),
            ("with_venture", "With Venture"),
        ],
        "shipped": [("at_hub", "At hub")],
    }
    options = {}
    for status, entries in spec.items():
        for key, label in entries:
            options[(status, key)] = StatusDetailOption.objects.create(
                status=status,
                key=key,
                label=label,
                published_by="OMS",
                first_seen_at=now,
                last_seen_at=now,
            )
    return options


def at(text: str) -> datetime:
    """An aware UTC time from ``YYYY-MM-DD hh:mm:ss``."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
