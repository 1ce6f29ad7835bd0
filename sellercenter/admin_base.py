"""The project's admin pages share this frame: a list that opens with a short paragraph saying
what it is for (the service desk are not developers), and read-only pages for what the OMS, the
API or the sellers write."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class DescribedAdmin(admin.ModelAdmin):
    """A list page that opens with a short paragraph saying what it is for."""

    change_list_template = "admin/described_change_list.html"
    description = ""
    show_full_result_count = False

    def changelist_tools(self, request: HttpRequest) -> list[dict[str, str]]:
        """Buttons above the list that POST to a view of this admin."""
        return []

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        context = {
            "description": self.description,
            "changelist_tools": self.changelist_tools(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)


class ReadOnlyAdmin(DescribedAdmin):
    """Seen, never edited: what the OMS or the API writes."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
