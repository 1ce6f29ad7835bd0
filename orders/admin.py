"""The orders in the admin, read-only: for tickets such as "what happened to item X".

An order shows its items, an item shows its history with the status detail labels. Every list
and inline selects its related rows in the same query, so no page makes a query per row.
Sellers and their staff logins are managed by superusers only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from sellercenter.admin_base import ReadOnlyAdmin
from sellercenter.admin_times import local_time

from .models import ItemHistory, Order, OrderItem, Seller, SellerStaff

TIMES_NOTE = f"Times are shown in the {settings.TIME_ZONE} time zone."


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def as_item_id(term: str) -> int | None:
    """The term as an id_sales_order_item, or None when it cannot be one."""
    term = term.strip()
    return int(term) if term.isdigit() and len(term) <= 18 else None


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = [
        "item_link",
        "sku",
        "name",
        "status",
        "detail",
        "status_event_time",
        "shipping_carrier",
        "tracking_code",
    ]
    readonly_fields = fields
    verbose_name_plural = "items"

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderItem]:
        return super().get_queryset(request).select_related("status_detail")

    @admin.display(description="id_sales_order_item")
    def item_link(self, obj: OrderItem) -> str:
        url = reverse("admin:orders_orderitem_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.id_sales_order_item)

    @admin.display(description="status detail")
    def detail(self, obj: OrderItem) -> str:
        return obj.status_detail.label if obj.status_detail else "—"


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    description = (
        "Orders as Seller Center holds them, read-only. Search by order number or by an item's "
        "id_sales_order_item; open an order to see its items and follow an item to its "
        "history. " + TIMES_NOTE
    )
    list_display = ["order_number", "seller", "created_at", "item_count"]
    list_filter = ["seller"]
    list_select_related = ["seller"]
    search_fields = ["order_number"]
    search_help_text = "An order number, or an item's id_sales_order_item."
    fields = ["order_number", "seller", "created_at"]
    readonly_fields = fields
    inlines = [OrderItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).annotate(number_of_items=Count("items"))

    @admin.display(description="items", ordering="number_of_items")
    def item_count(self, obj: Order) -> int:
        return obj.number_of_items

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(order_number=term)
        item_id = as_item_id(term)
        if item_id is not None:
            # A subquery, not a join, so an order is listed once however many items it has.
            orders = OrderItem.objects.filter(id_sales_order_item=item_id).values("order_id")
            condition |= Q(pk__in=orders)
        return queryset.filter(condition), False


class ItemHistoryInline(ReadOnlyInline):
    model = ItemHistory
    fields = [
        "event_time",
        "received",
        "kind",
        "status",
        "detail",
        "reason",
        "shipping_carrier",
        "tracking_code",
        "package_status",
        "applied_or_late",
        "system",
        "request_id",
    ]
    readonly_fields = fields
    ordering = ["status_event_time", "id"]
    verbose_name_plural = "history (oldest first; a late event is kept but changed nothing)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ItemHistory]:
        return super().get_queryset(request).select_related("status_detail")

    @admin.display(description="status event time")
    def event_time(self, obj: ItemHistory) -> str:
        return local_time(obj.status_event_time)

    @admin.display(description="received at")
    def received(self, obj: ItemHistory) -> str:
        return local_time(obj.received_at)

    @admin.display(description="status detail")
    def detail(self, obj: ItemHistory) -> str:
        if obj.status_detail is None:
            return "—"
        inactive = "" if obj.status_detail.active else " (no longer offered)"
        return f"{obj.status_detail.label}{inactive}"

    @admin.display(description="applied")
    def applied_or_late(self, obj: ItemHistory) -> str:
        return "applied" if obj.applied else "late: kept, did not change the item"


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyAdmin):
    description = (
        "Order items, read-only. Search by id_sales_order_item (the OMS's id of the item) or "
        "order number; open an item to see everything that happened to it, in order of when it "
        "happened. " + TIMES_NOTE
    )
    list_display = [
        "id_sales_order_item",
        "order_link",
        "seller",
        "sku",
        "status",
        "detail",
        "status_event_time",
        "updated_at",
    ]
    list_filter = ["status", "seller"]
    list_select_related = ["order", "seller", "status_detail"]
    search_fields = ["id_sales_order_item"]
    search_help_text = "An id_sales_order_item, or an order number."
    fields = [
        "id_sales_order_item",
        "order_link",
        "seller",
        "sku",
        "name",
        "status",
        "detail",
        "status_event_time",
        "reason",
        "shipping_carrier",
        "tracking_code",
        "package_status",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [ItemHistoryInline]

    @admin.display(description="order", ordering="order__order_number")
    def order_link(self, obj: OrderItem) -> str:
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order.order_number)

    @admin.display(description="status detail")
    def detail(self, obj: OrderItem) -> str:
        return obj.status_detail.label if obj.status_detail else "—"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(order__order_number=term)
        item_id = as_item_id(term)
        if item_id is not None:
            condition |= Q(id_sales_order_item=item_id)
        return queryset.filter(condition), False


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(SellerStaff)
class SellerStaffAdmin(admin.ModelAdmin):
    """Seller staff logins: superusers only (the service desk has no permission here)."""

    list_display = ["user", "seller"]
    list_select_related = ["user", "seller"]
    list_filter = ["seller"]
    search_fields = ["user__username", "seller__code"]
    autocomplete_fields = ["seller"]
    raw_id_fields = ["user"]
