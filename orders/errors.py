"""Typed per-item errors of the write path, each carrying its E-code (oms-api.md §6).

The message of every error names the item id, the field and what was expected, in the form the
published contract uses: ``E028: ... for Order Item with id: 100411``.
"""

from __future__ import annotations

from typing import ClassVar


class ItemError(Exception):
    """An item refused by the write path."""

    code: ClassVar[int]

    def __init__(self, *, id_sales_order_item: object, field: str, detail: str) -> None:
        self.id_sales_order_item = id_sales_order_item
        self.field = field
        self.detail = detail
        super().__init__(self.message)

    def headline(self) -> str:
        raise NotImplementedError

    @property
    def message(self) -> str:
        return (
            f"E{self.code:03d}: {self.headline()} ({self.field}: {self.detail}) "
            f"for Order Item with id: {self.id_sales_order_item}"
        )


class InvalidRequestFormat(ItemError):
    """A missing, unknown, malformed or too long field (E005)."""

    code = 5

    def headline(self) -> str:
        return "Invalid Request Format"


class UnknownStatusDetail(InvalidRequestFormat):
    """A status detail key Seller Center does not know for the status (E005).

    The API queues a refresh of the sender's options when it sees one, since the OMS may have
    just published it.
    """

    def __init__(self, *, id_sales_order_item: object, key: str, status: str | None) -> None:
        self.key = key
        self.status = status
        where = f'status "{status}"' if status else "any status"
        super().__init__(
            id_sales_order_item=id_sales_order_item,
            field="status_detail",
            detail=f'"{key}" is not a known status detail of {where}',
        )


class InvalidOrderItemId(ItemError):
    """No order item has this id (E020)."""

    code = 20

    def headline(self) -> str:
        return f'"{self.id_sales_order_item}" Invalid Order Item ID'


class InvalidReason(ItemError):
    """The reason a status needs is missing or too long (E022)."""

    code = 22

    def __init__(self, *, id_sales_order_item: object, field: str, detail: str, value: str) -> None:
        self.value = value
        super().__init__(id_sales_order_item=id_sales_order_item, field=field, detail=detail)

    def headline(self) -> str:
        shown = self.value if len(self.value) <= 40 else self.value[:40] + "…"
        return f'"{shown}" Invalid Reason'


class TransitionNotAllowed(ItemError):
    """The state machine has no move from the item's status to the one asked for (E028)."""

    code = 28

    def __init__(
        self, *, id_sales_order_item: object, current: str, target: str, allowed: list[str]
    ) -> None:
        self.current = current
        self.target = target
        allowed_text = ", ".join(f'"{s}"' for s in allowed) if allowed else "none"
        super().__init__(
            id_sales_order_item=id_sales_order_item,
            field="item_status",
            detail=f'the current status is "{current}"; the OMS may move it to: {allowed_text}',
        )

    def headline(self) -> str:
        return f'It is not possible to set the order item to the status "{self.target}"'


class NotAllowedNow(ItemError):
    """Status details arrive while their import is turned off (E093)."""

    code = 93

    def headline(self) -> str:
        return "currently not allowed"
