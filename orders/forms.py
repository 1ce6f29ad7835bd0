"""Forms of the seller's order management screen: the list's filter and page cursor."""

from __future__ import annotations

from django import forms

from .models import Order
from .selectors import ALL, Cursor, InvalidCursor, OrderFilter
from .state_machine import ItemStatus

ORDER_NUMBER_MAX_LENGTH = Order._meta.get_field("order_number").max_length


class DateInput(forms.DateInput):
    input_type = "date"


class OrderFilterForm(forms.Form):
    """The query string of the orders list and of its CSV export (a GET form, never saved)."""

    status = forms.ChoiceField(
        required=False,
        choices=[(ALL, "All"), *ItemStatus.choices],
        error_messages={"invalid_choice": "Unknown status %(value)s: choose one of the tabs."},
    )
    q = forms.CharField(
        required=False,
        max_length=ORDER_NUMBER_MAX_LENGTH,
        label="Order number",
        help_text="Shows the orders whose number starts with what you type.",
        widget=forms.TextInput(attrs={"type": "search", "inputmode": "search"}),
    )
    date_from = forms.DateField(
        required=False,
        label="Created from",
        widget=DateInput,
        error_messages={"invalid": "Created from must be a date such as 2026-11-20."},
    )
    date_to = forms.DateField(
        required=False,
        label="Created to",
        widget=DateInput,
        error_messages={"invalid": "Created to must be a date such as 2026-11-20."},
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    before = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def _clean_cursor(self, name: str) -> Cursor | None:
        text = self.cleaned_data.get(name) or ""
        if not text:
            return None
        try:
            return Cursor.decode(text)
        except InvalidCursor as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_after(self) -> Cursor | None:
        return self._clean_cursor("after")

    def clean_before(self) -> Cursor | None:
        return self._clean_cursor("before")

    def clean(self) -> dict:
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "Created to must not be before Created from.")
        if data.get("after") and data.get("before"):
            raise forms.ValidationError("The page link is not valid: it goes both ways at once.")
        return data

    def order_filter(self) -> OrderFilter:
        """The filter of a valid form."""
        data = self.cleaned_data
        return OrderFilter(
            status=data.get("status") or ALL,
            q=data.get("q") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
