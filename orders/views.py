"""Views of the seller's order management screen: thin, reading through ``orders.selectors``.

Every page belongs to the seller of the logged-in user; any other seller's order, item or
export answers 404, so a URL never tells whether someone else's order exists. Nothing here
writes, except Django's own login and logout.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import selectors
from .forms import OrderFilterForm
from .models import Order, OrderItem, Seller
from .selectors import ALL, OrderFilter
from .state_machine import ItemStatus

# The largest id a BIGINT column holds: a longer number in a URL is simply not an item.
MAX_ITEM_ID = 2**63 - 1
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_HEADER = [
    "order_number",
    "order_created",
    "id_sales_order_item",
    "sku",
    "name",
    "status",
    "status_detail",
    "status_since",
    "shipping_carrier",
    "tracking_code",
]


def _no_seller(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff:  # the service desk follows the admin's "View site" link here
        return redirect("admin:index")
    return render(request, "orders/no_seller.html", status=403)


def seller_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A read-only page of a seller's staff: logged in, GET or HEAD, and the view gets the
    user's seller (a login linked to no seller is answered here)."""

    @require_safe
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        seller = selectors.seller_for_user(request.user)
        if seller is None:
            return _no_seller(request)
        return view(request, seller, *args, **kwargs)

    return wrapped


def _query(order_filter: OrderFilter, **extra: str) -> str:
    """The query string of a filter (and a cursor), leaving out what is empty."""
    params = {
        "status": order_filter.status,
        "q": order_filter.q,
        "date_from": order_filter.date_from.isoformat() if order_filter.date_from else "",
        "date_to": order_filter.date_to.isoformat() if order_filter.date_to else "",
        **extra,
    }
    return urlencode({key: value for key, value in params.items() if value})


@seller_page
def order_list(request: HttpRequest, seller: Seller) -> HttpResponse:
    """``/``: the seller's orders, newest first, 50 to a page, with status tabs and counts."""
    form = OrderFilterForm(request.GET)
    context: dict = {"seller": seller, "form": form, "data_as_of": timezone.now()}
    if not form.is_valid():
        return render(request, "orders/list.html", context, status=400)

    order_filter = form.order_filter()
    page = selectors.orders_page(
        seller,
        order_filter,
        after=form.cleaned_data.get("after"),
        before=form.cleaned_data.get("before"),
    )
    tab_counts = selectors.cached_status_counts(seller, order_filter)
    counts = tab_counts.counts
    tabs = [
        {
            "status": key,
            "label": label,
            "count": counts[key],
            # A tab keeps the search and the dates, and starts again from the first page.
            "query": _query(
                OrderFilter(
                    status=key,
                    q=order_filter.q,
                    date_from=order_filter.date_from,
                    date_to=order_filter.date_to,
                )
            ),
            "active": key == order_filter.status,
        }
        for key, label in [(ALL, "All"), *ItemStatus.choices]
    ]
    active_label = next(tab["label"] for tab in tabs if tab["active"])
    context.update(
        {
            "order_filter": order_filter,
            "counts_as_of": tab_counts.as_of,
            "orders": page.orders,
            "tabs": tabs,
            "active_label": active_label,
            "next_query": _query(order_filter, after=page.next_cursor.encode())
            if page.next_cursor
            else None,
            "previous_query": _query(order_filter, before=page.previous_cursor.encode())
            if page.previous_cursor
            else None,
            "export_query": _query(order_filter),
        }
    )
    return render(request, "orders/list.html", context)


@seller_page
def order_detail(request: HttpRequest, seller: Seller, order_number: str) -> HttpResponse:
    """``/orders/<order_number>/``: one order with its items."""
    order = selectors.order_for_seller(seller, order_number)
    return render(request, "orders/order.html", {"seller": seller, "order": order})


@seller_page
def item_timeline(request: HttpRequest, seller: Seller, id_sales_order_item: int) -> HttpResponse:
    """``/items/<id_sales_order_item>/``: the item's status now and every event, newest first."""
    if id_sales_order_item > MAX_ITEM_ID:
        raise Http404("No such item.")
    item = selectors.item_for_seller(seller, id_sales_order_item)
    events = selectors.item_timeline(item)
    return render(
        request,
        "orders/item.html",
        {"seller": seller, "item": item, "order": item.order, "events": events},
    )


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _csv_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(selectors.venture_zone()).isoformat(timespec="seconds")


def _csv_rows(items: Iterable[OrderItem]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for item in items:
        yield writer.writerow(
            [
                _safe_cell(cell)
                for cell in (
                    item.order.order_number,
                    _csv_time(item.order.created_at),
                    item.id_sales_order_item,
                    item.sku,
                    item.name,
                    item.get_status_display(),
                    item.status_detail.label if item.status_detail else "",
                    _csv_time(item.status_event_time),
                    item.shipping_carrier,
                    item.tracking_code,
                )
            ]
        )


def _csv_response(items: Iterable[OrderItem], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_rows(items), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@seller_page
def export_csv(request: HttpRequest, seller: Seller) -> HttpResponse:
    """``/export.csv``: every item of the orders the list's filter shows, streamed."""
    form = OrderFilterForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[name].label or name}: {' '.join(messages)}"
            if name != "__all__"
            else " ".join(messages)
            for name, messages in form.errors.items()
        )
        return HttpResponse(
            f"The export was not made: {errors}\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    stamp = timezone.now().astimezone(selectors.venture_zone()).strftime("%Y%m%d-%H%M")
    return _csv_response(
        selectors.export_items(seller, form.order_filter()),
        f"orders-{seller.code}-{stamp}.csv",
    )


@seller_page
def export_order_csv(request: HttpRequest, seller: Seller, order_number: str) -> HttpResponse:
    """``/orders/<order_number>/export.csv``: one order's items; 404 for other sellers."""
    order: Order = selectors.order_for_seller(seller, order_number, with_items=False)
    safe_number = re.sub(r"[^A-Za-z0-9_-]", "_", order.order_number)
    return _csv_response(selectors.order_export_items(order), f"order-{safe_number}.csv")


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST (Django's rule, against cross-site logouts); a bookmarked or typed
    ``/logout/`` gets a page with the button instead of an empty 405."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return render(request, "registration/logout_confirm.html")
