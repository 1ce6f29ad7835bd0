"""The order domain: sellers, orders, order items, status detail options and item history.

Status changes are written only by ``orders.status_updates`` (the write path); nothing else
saves an item's status.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .state_machine import ItemStatus

# Maximum lengths of the free-text fields (oms-api.md §4.1).
REASON_MAX_LENGTH = 255
SHORT_TEXT_MAX_LENGTH = 100  # carrier, tracking code, package status


class Seller(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SellerStaff(models.Model):
    """A login of a seller's staff on the order management screen."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller_staff"
    )
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="staff")

    class Meta:
        verbose_name_plural = "seller staff"

    def __str__(self) -> str:
        return f"{self.user} @ {self.seller.code}"


class Order(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="orders")
    order_number = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["seller", "-created_at", "-id"], name="order_seller_created"),
        ]

    def __str__(self) -> str:
        return self.order_number


class StatusDetailOption(models.Model):
    """One status detail the OMS publishes for a status. Deactivated, never deleted."""

    status = models.CharField(max_length=32, choices=ItemStatus.choices)
    key = models.CharField(max_length=100)
    label = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    # The service name of the system that last published this option (oms-api.md §7).
    published_by = models.CharField(max_length=64, blank=True, default="")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["status", "label"]
        constraints = [
            models.UniqueConstraint(fields=["status", "key"], name="status_detail_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.label}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="items")
    # The OMS's id of the item; our primary key stays ours.
    id_sales_order_item = models.BigIntegerField(unique=True)
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=32, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    status_detail = models.ForeignKey(
        StatusDetailOption, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the newest applied event happened (not when we learned it); none until one arrives.
    status_event_time = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True, default="")
    shipping_carrier = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True, default="")
    tracking_code = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True, default="")
    package_status = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [
            models.Index(fields=["seller", "status"], name="item_seller_status"),
            models.Index(fields=["seller", "-created_at"], name="item_seller_created"),
            # The newest change of a seller's items: the version of its cached tab counts.
            models.Index(fields=["seller", "-updated_at"], name="item_seller_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.id_sales_order_item} ({self.status})"


class ItemEventKind(models.TextChoices):
    STATUS = "status", "Status update"
    INFORMATION = "information", "Information update"


class ItemHistory(models.Model):
    """One event of an item: applied, or kept as a late event that did not change the item."""

    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=16, choices=ItemEventKind.choices)
    status = models.CharField(max_length=32, choices=ItemStatus.choices)
    status_detail = models.ForeignKey(
        StatusDetailOption, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True, default="")
    shipping_carrier = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True, default="")
    tracking_code = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True, default="")
    package_status = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True, default="")
    status_event_time = models.DateTimeField()
    received_at = models.DateTimeField()
    applied = models.BooleanField()
    # The service name of the system that sent the event, and the request it came in.
    system = models.CharField(max_length=64, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    # A hash of the event (item, kind, status or detail, event time, fields): the same event
    # can never be stored twice, whichever transaction gets there first.
    fingerprint = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name_plural = "item history"
        ordering = ["item_id", "status_event_time", "id"]
        indexes = [
            models.Index(fields=["item", "status_event_time"], name="history_item_time"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.status} @ {self.status_event_time:%Y-%m-%d %H:%M:%S}"
