"""Reads of the seller's order management screen.

Every page reads through these functions, which bring their joins and prefetches with them,
so the number of queries of a page does not depend on how many orders or items it shows.

The orders list pages with a keyset cursor on ``(created_at, id)``, newest first: a page at
any depth costs one index range scan of the ``order_seller_created`` index, never an
``OFFSET`` over everything before it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import ItemHistory, Order, OrderItem, Seller, SellerStaff
from .state_machine import ItemStatus

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# Rows per round trip when the CSV export streams items from the database.
EXPORT_CHUNK_SIZE = 2000
# The "All" tab's key in the counts: not a status.
ALL = ""


def venture_zone() -> ZoneInfo:
    """The Venture's time zone: times are shown to sellers in it, and date filters use it."""
    return ZoneInfo(getattr(settings, "VENTURE_TIME_ZONE", None) or settings.TIME_ZONE)


def seller_for_user(user: AbstractBaseUser | AnonymousUser) -> Seller | None:
    """The seller whose staff ``user`` is, or ``None`` for a login that belongs to no seller."""
    if not user.is_authenticated:
        return None
    staff = SellerStaff.objects.select_related("seller").filter(user_id=user.pk).first()
    return staff.seller if staff else None


CURSOR_ERROR = "the page link is not valid; start again from the first page"


class InvalidCursor(ValueError):
    """A page cursor that this screen did not make (edited by hand, or cut short)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the newest-first list: the ``(created_at, id)`` of an order."""

    created_at: datetime
    order_id: int

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.order_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            stamp, _, number = raw.partition("|")
            created_at = datetime.fromisoformat(stamp)
            order_id = int(number)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise InvalidCursor(CURSOR_ERROR) from exc
        if created_at.tzinfo is None or order_id < 1:
            raise InvalidCursor(CURSOR_ERROR)
        return cls(created_at=created_at, order_id=order_id)

    @classmethod
    def of(cls, order: Order) -> Cursor:
        return cls(created_at=order.created_at, order_id=order.pk)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """What the seller asked the list for. Status details are deliberately not filterable."""

    status: str = ALL
    q: str = ""  # an order number prefix
    date_from: date | None = None  # order created on or after this day (Venture's zone)
    date_to: date | None = None  # order created on or before this day (Venture's zone)


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=venture_zone())


def _order_conditions(seller: Seller, order_filter: OrderFilter, *, prefix: str = "") -> Q:
    """The seller, search and date conditions on orders (``prefix`` reaches them from items)."""
    # Orders and items both carry their seller, so the seller alone never needs a join.
    conditions = Q(seller=seller)
    if order_filter.q:
        conditions &= Q(**{f"{prefix}order_number__startswith": order_filter.q})
    if order_filter.date_from and order_filter.date_from > date.min:  # the first day: no bound
        conditions &= Q(**{f"{prefix}created_at__gte": _start_of_day(order_filter.date_from)})
    if order_filter.date_to and order_filter.date_to < date.max:  # the last day: no bound
        next_day = order_filter.date_to + timedelta(days=1)
        conditions &= Q(**{f"{prefix}created_at__lt": _start_of_day(next_day)})
    return conditions


def filtered_orders(seller: Seller, order_filter: OrderFilter) -> QuerySet[Order]:
    """The seller's orders matching the filter; a status keeps orders with an item in it."""
    orders = Order.objects.filter(_order_conditions(seller, order_filter))
    if order_filter.status:
        orders = orders.filter(
            Exists(OrderItem.objects.filter(order=OuterRef("pk"), status=order_filter.status))
        )
    return orders


def _items_prefetch() -> Prefetch:
    return Prefetch(
        "items",
        queryset=OrderItem.objects.select_related("status_detail").order_by("id"),
    )


@dataclass(frozen=True, slots=True)
class OrdersPage:
    orders: list[Order]
    next_cursor: Cursor | None  # ``after`` for the next (older) page
    previous_cursor: Cursor | None  # ``before`` for the previous (newer) page


def orders_page(
    seller: Seller,
    order_filter: OrderFilter,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    page_size: int = PAGE_SIZE,
) -> OrdersPage:
    """One page of the list, newest first, with each order's items and their status details.

    Two queries whatever the page holds: the orders, and their items prefetched.
    """
    orders = filtered_orders(seller, order_filter).prefetch_related(_items_prefetch())
    if before is not None:
        # Walk towards newer orders, oldest first, then turn the page the right way round.
        newer = Q(created_at__gt=before.created_at) | Q(
            created_at=before.created_at, pk__gt=before.order_id
        )
        rows = list(orders.filter(newer).order_by("created_at", "id")[: page_size + 1])
        has_more = len(rows) > page_size
        rows = rows[:page_size][::-1]
        return OrdersPage(
            orders=rows,
            next_cursor=Cursor.of(rows[-1]) if rows else None,
            previous_cursor=Cursor.of(rows[0]) if rows and has_more else None,
        )
    if after is not None:
        older = Q(created_at__lt=after.created_at) | Q(
            created_at=after.created_at, pk__lt=after.order_id
        )
        orders = orders.filter(older)
    rows = list(orders.order_by("-created_at", "-id")[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return OrdersPage(
        orders=rows,
        next_cursor=Cursor.of(rows[-1]) if rows and has_more else None,
        previous_cursor=Cursor.of(rows[0]) if rows and after is not None else None,
    )


def status_counts(seller: Seller, order_filter: OrderFilter) -> dict[str, int]:
    """Orders per tab, within the search and date range: one grouped query.

    A status counts the orders with at least one item in it, as its tab shows them; "All"
    (key ``ALL``) counts every order once. Both halves travel in one ``UNION ALL``.
    """
    per_status = (
        OrderItem.objects.filter(_order_conditions(seller, order_filter, prefix="order__"))
        .order_by()
        .values("status")
        .annotate(orders=Count("order_id", distinct=True))
        .values_list("status", "orders")
    )
    every_order = (
        Order.objects.filter(_order_conditions(seller, order_filter))
        .order_by()
        .annotate(tab=Value(ALL))
        .values("tab")
        .annotate(orders=Count("id"))
        .values_list("tab", "orders")
    )
    counts = {ALL: 0, **{status.value: 0 for status in ItemStatus}}
    counts.update(dict(per_status.union(every_order, all=True)))
    return counts


@dataclass(frozen=True)
class TabCounts:
    counts: dict[str, int]
    as_of: datetime  # when the counts were computed


def cached_status_counts(seller: Seller, order_filter: OrderFilter) -> TabCounts:
    """``status_counts``, kept in the shared cache while the seller's items do not change.

    Counting the orders per status reads every item of the seller: for a seller with 100k
    items that is most of a page's time. The cache key holds the newest ``updated_at`` of the
    seller's items (one index lookup), which every status change and every import moves, so
    cached counts never contradict the list; ``SELLER_TAB_COUNTS_CACHE_SECONDS`` bounds how
    long an entry lives. An unreachable cache only costs the live count.
    """
    ttl = settings.SELLER_TAB_COUNTS_CACHE_SECONDS
    if ttl <= 0:
        return TabCounts(status_counts(seller, order_filter), timezone.now())
    version = (
        OrderItem.objects.filter(seller=seller)
        .order_by("-updated_at")
        .values_list("updated_at", flat=True)
        .first()
    )
    identity = (seller.pk, version, order_filter.q, order_filter.date_from, order_filter.date_to)
    key = "seller-tab-counts:" + hashlib.sha256(repr(identity).encode()).hexdigest()
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is an optimisation, never a failure
        logger.warning("tab counts cache unreachable; counting live", exc_info=True)
        cached = None
    if isinstance(cached, TabCounts):
        return cached
    fresh = TabCounts(status_counts(seller, order_filter), timezone.now())
    try:
        cache.set(key, fresh, ttl)
    except Exception:  # noqa: BLE001
        logger.warning("tab counts cache unreachable; not kept", exc_info=True)
    return fresh


def order_for_seller(seller: Seller, order_number: str, *, with_items: bool = True) -> Order:
    """One of the seller's orders (with its items); 404 for any other seller's order."""
    if "\x00" in order_number:  # no order number holds one; the database would refuse it
        raise Http404("No such order.")
    orders = Order.objects.prefetch_related(_items_prefetch()) if with_items else Order.objects
    return get_object_or_404(
        orders,
        seller=seller,
        order_number=order_number,
    )


def item_for_seller(seller: Seller, id_sales_order_item: int) -> OrderItem:
    """One of the seller's items with its order and status detail; 404 for anyone else's."""
    return get_object_or_404(
        OrderItem.objects.select_related("order", "status_detail"),
        seller=seller,
        id_sales_order_item=id_sales_order_item,
    )


def item_timeline(item: OrderItem) -> list[ItemHistory]:
    """Every event of the item, newest first, late ones included, with their status details.

    The detail is reached through its row whether or not the OMS still lists it: options are
    deactivated, never deleted, so an old event keeps its label.
    """
    return list(
        ItemHistory.objects.filter(item=item)
        .select_related("status_detail")
        .order_by("-status_event_time", "-id")
    )


def export_items(seller: Seller, order_filter: OrderFilter) -> Iterator[OrderItem]:
    """Every item of the orders the filter shows, in list order, streamed in chunks."""
    items = OrderItem.objects.filter(_order_conditions(seller, order_filter, prefix="order__"))
    if order_filter.status:
        items = items.filter(
            Exists(OrderItem.objects.filter(order=OuterRef("order_id"), status=order_filter.status))
        )
    return (
        items.select_related("order", "status_detail")
        .order_by("-order__created_at", "-order_id", "id")
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )


def order_export_items(order: Order) -> Iterator[OrderItem]:
    """The items of one order, for its own CSV export."""
    return (
        OrderItem.objects.filter(order=order)
        .select_related("order", "status_detail")
        .order_by("id")
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
