"""The Maintenance section of the admin: where the service desk sets up and troubleshoots
every OMS connection.

Every page explains itself (a description above each list, help texts on every field) and
refuses a mistake before anything is saved. Writes go through the services of this app
(``credentials``, ``refresh``); the request log, the status detail mapping and the refresh
history are read-only. Derived columns (active keys, last request, last refusal, last use of a
key) come from annotations on the list's one query, never from rows written per request.
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from sellercenter.admin_base import DescribedAdmin, ReadOnlyAdmin
from sellercenter.admin_times import local_time

from . import credentials
from .config import PARAMETERS
from .forms import (
    ConfigurationParameterForm,
    SystemCredentialForm,
    WhitelistedNetworkForm,
    WhitelistedNetworkFormSet,
)
from .models import (
    ApiKey,
    ConfigurationParameter,
    RequestLog,
    RequestOutcome,
    StatusDetailMapping,
    StatusDetailRefresh,
    SystemCredential,
    WhitelistedNetwork,
)
from .refresh import queue_refresh

admin.site.site_header = "Seller Center administration"
admin.site.site_title = "Seller Center admin"
admin.site.index_title = "Service desk"
# The lists are wide (the request log's reasons above all); breadcrumbs and the index suffice.
admin.site.enable_nav_sidebar = False

TIMES_NOTE = f"Times are shown in the {settings.TIME_ZONE} time zone."


def object_or_none(queryset: QuerySet, object_id: str) -> Any:
    """The row whose primary key is ``object_id`` as it came in the URL, or None; an id that
    cannot be a primary key (``abc``, ``1.5``, a NUL) finds nothing, as in Django's own views."""
    try:
        return queryset.filter(pk=unquote(object_id)).first()
    except (ValueError, TypeError, OverflowError, ValidationError):
        return None


def last_request_subquery(**filters: Any) -> Subquery:
    return Subquery(
        RequestLog.objects.filter(service_name=OuterRef("service_name"), **filters)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )


# --- System credentials ------------------------------------------------------------------------


class WhitelistedNetworkInline(admin.TabularInline):
    model = WhitelistedNetwork
    form = WhitelistedNetworkForm
    formset = WhitelistedNetworkFormSet
    extra = 1
    verbose_name = "whitelisted IP or network"
    verbose_name_plural = (
        "Whitelisted IPs and networks: the OMS may call only from these addresses "
        "(IPv4 or IPv6, a single address such as 203.0.113.9 or a network such as 10.0.0.0/24)"
    )


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = ["prefix", "issued_at", "issued_by_name", "last_used", "state", "revoke"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = (
        "API keys (several may be active at once, so a key can be rotated without downtime)"
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return ApiKeyAdmin.annotate_last_used(
            super().get_queryset(request).select_related("issued_by", "revoked_by")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="issued by")
    def issued_by_name(self, obj: ApiKey) -> str:
        return ApiKeyAdmin.user_name(obj.issued_by)

    @admin.display(description="created at")
    def issued_at(self, obj: ApiKey) -> str:
        return local_time(obj.created_at)

    @admin.display(description="last used")
    def last_used(self, obj: ApiKey) -> str:
        return local_time(obj.last_used, "never")

    @admin.display(description="state")
    def state(self, obj: ApiKey) -> str:
        return ApiKeyAdmin.describe_state(obj)

    @admin.display(description="")
    def revoke(self, obj: ApiKey) -> str:
        return ApiKeyAdmin.revoke_link(obj)


@admin.register(SystemCredential)
class SystemCredentialAdmin(DescribedAdmin):
    description = (
        "Each system (a Venture OMS) calls the OMS API with its ServiceName, from a whitelisted "
        "IP and signed with one of its API keys. Open a system to edit its IPs, issue or revoke "
        "keys and set the URL where its OMS publishes the status detail options. "
        "Last request and last refusal come from the request log. " + TIMES_NOTE
    )
    list_display = [
        "service_name",
        "active",
        "whitelisted_ips",
        "active_key_count",
        "last_request_at",
        "last_refusal",
    ]
    form = SystemCredentialForm
    list_filter = ["active"]
    search_fields = ["service_name"]
    fieldsets = [
        (None, {"fields": ["service_name", "active", "oms_url"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [WhitelistedNetworkInline, ApiKeyInline]
    actions = ["refresh_status_details"]
    change_form_template = "admin/maintenance/systemcredential/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SystemCredential]:
        active_keys = (
            ApiKey.objects.filter(credential=OuterRef("pk"), revoked_at__isnull=True)
            .order_by()
            .values("credential")
            .annotate(count=Count("id"))
            .values("count")
        )
        last_refusal = RequestLog.objects.filter(
            service_name=OuterRef("service_name"), outcome=RequestOutcome.REFUSED
        ).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_keys=Coalesce(Subquery(active_keys), 0, output_field=IntegerField()),
                last_request=last_request_subquery(),
                last_refusal_at=Subquery(last_refusal.values("created_at")[:1]),
                last_refusal_reason=Subquery(last_refusal.values("reason")[:1]),
            )
            .prefetch_related("networks")
        )

    def get_inlines(self, request: HttpRequest, obj: SystemCredential | None):
        # A new system has no keys yet: it gets its first one from its own page once saved.
        return [WhitelistedNetworkInline] if obj is None else self.inlines

    @admin.display(description="whitelisted IPs")
    def whitelisted_ips(self, obj: SystemCredential) -> str:
        networks = [network.network for network in obj.networks.all()]
        return ", ".join(networks) or "none: every request is refused"

    @admin.display(description="active keys", ordering="active_keys")
    def active_key_count(self, obj: SystemCredential) -> int:
        return obj.active_keys

    @admin.display(description="last request", ordering="last_request")
    def last_request_at(self, obj: SystemCredential) -> str:
        return local_time(obj.last_request, "never")

    @admin.display(description="last refusal", ordering="last_refusal_at")
    def last_refusal(self, obj: SystemCredential) -> str:
        if obj.last_refusal_at is None:
            return "none"
        when = local_time(obj.last_refusal_at)
        return f"{when}: {Truncator(obj.last_refusal_reason).chars(80)}"

    def response_add(self, request: HttpRequest, obj: SystemCredential, post_url_continue=None):
        self.message_user(
            request,
            f"Next step: open {obj.service_name} and press “Issue new key” to give it its "
            "first API key.",
            messages.INFO,
        )
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/issue-key/",
                self.admin_site.admin_view(self.issue_key_view),
                name="maintenance_systemcredential_issue_key",
            ),
            path(
                "<path:object_id>/refresh-status-details/",
                self.admin_site.admin_view(self.refresh_view),
                name="maintenance_systemcredential_refresh",
            ),
            *super().get_urls(),
        ]

    def _credential_or_404(self, request: HttpRequest, object_id: str) -> SystemCredential:
        credential = object_or_none(SystemCredential.objects.all(), object_id)
        if credential is None or not self.has_view_permission(request, credential):
            raise Http404("No such system credential.")
        return credential

    def issue_key_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET asks for confirmation; POST issues a key and shows it, once, on this answer."""
        credential = self._credential_or_404(request, object_id)
        if not request.user.has_perm("maintenance.add_apikey"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "credential": credential,
            "title": f"Issue a new API key for {credential.service_name}",
            "change_url": reverse(
                "admin:maintenance_systemcredential_change", args=[credential.pk]
            ),
        }
        # A one-time token: the page asking for confirmation puts it in the session and in the
        # form; the POST issues a key only with the token, and uses it up. A resubmitted POST
        # (a reload of the "New API key" page) then issues nothing.
        session_key = f"maintenance_issue_key_nonce_{credential.pk}"
        if request.method != "POST":
            nonce = secrets.token_urlsafe(24)
            request.session[session_key] = nonce
            context.update(
                explanation=(
                    f"A new key is added to the active keys of {credential.service_name}; the "
                    "keys it has stay active, so the OMS can switch over without downtime. "
                    "Revoke the old key once the OMS uses the new one. The new key is shown "
                    "once, on the next page: copy it then and hand it over securely."
                ),
                submit_label="Issue new key",
                nonce=nonce,
            )
            return TemplateResponse(request, "admin/maintenance/confirm.html", context)
        expected = request.session.pop(session_key, None)
        given = request.POST.get("nonce", "")
        if not expected or not secrets.compare_digest(str(expected), given):
            context.update(
                title=f"No new API key for {credential.service_name}",
                issue_url=reverse(
                    "admin:maintenance_systemcredential_issue_key", args=[credential.pk]
                ),
            )
            response = TemplateResponse(
                request, "admin/maintenance/key_already_issued.html", context, status=409
            )
            add_never_cache_headers(response)
            return response
        issued = credentials.issue_key(credential=credential, issued_by=request.user)
        # The admin log names the key by its prefix only; the secret is on this page alone.
        self.log_addition(
            request,
            issued.api_key,
            [{"added": {"name": "API key", "object": issued.api_key.prefix}}],
        )
        self.log_change(request, credential, f"Issued API key {issued.api_key.prefix}.")
        context.update(title=f"New API key for {credential.service_name}", issued=issued)
        response = TemplateResponse(request, "admin/maintenance/key_issued.html", context)
        add_never_cache_headers(response)
        return response

    def refresh_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        credential = self._credential_or_404(request, object_id)
        if not request.user.has_perm("maintenance.add_statusdetailrefresh"):
            raise PermissionDenied
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "credential": credential,
                "title": f"Refresh the status details of {credential.service_name} now",
                "change_url": reverse(
                    "admin:maintenance_systemcredential_change", args=[credential.pk]
                ),
                "explanation": (
                    f"Seller Center asks the OMS of {credential.service_name} for its status "
                    "detail options in the background. The outcome appears in the status "
                    "detail refresh history."
                ),
                "submit_label": "Refresh now",
            }
            return TemplateResponse(request, "admin/maintenance/confirm.html", context)
        queue_refresh_and_say_so(self, request, [credential])
        return HttpResponseRedirect(reverse("admin:maintenance_statusdetailrefresh_changelist"))

    @admin.action(
        description="Refresh status details now from the selected systems' OMS",
        permissions=["refresh"],
    )
    def refresh_status_details(self, request: HttpRequest, queryset: QuerySet) -> None:
        queue_refresh_and_say_so(self, request, list(queryset))

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("maintenance.add_statusdetailrefresh")


def queue_refresh_and_say_so(
    model_admin: admin.ModelAdmin, request: HttpRequest, systems: list[SystemCredential]
) -> None:
    """Queue a refresh for each system that can have one, and tell the user what happened."""
    for credential in systems:
        name = credential.service_name
        if not credential.oms_url:
            model_admin.message_user(
                request,
                f"{name} has no OMS URL, so there is nothing to refresh from: set its OMS URL.",
                messages.WARNING,
            )
        elif not credential.active:
            model_admin.message_user(
                request, f"{name} is not active: activate it first.", messages.WARNING
            )
        elif queue_refresh(credential=credential, trigger="admin"):
            model_admin.message_user(
                request,
                f"Refresh of the status details from {name} queued; its outcome will appear "
                "in the status detail refresh history.",
                messages.SUCCESS,
            )
        else:
            model_admin.message_user(
                request,
                f"A refresh from {name} is already queued or running; its outcome will appear "
                "in the status detail refresh history.",
                messages.INFO,
            )
    if not systems:
        model_admin.message_user(
            request, "No active system with an OMS URL to refresh from.", messages.WARNING
        )


# --- API keys ----------------------------------------------------------------------------------


class KeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    description = (
        "The keys systems sign their requests with. A key is shown in clear only once, when it "
        "is issued (from its system's page, “Issue new key”); here it is known by its first "
        "characters (the prefix). A system may have several active keys: issue a new one, let "
        "the OMS switch, then revoke the old one. Last used comes from the request log. "
        + TIMES_NOTE
    )
    list_display = [
        "prefix",
        "credential",
        "issued_by_name",
        "created_at_local",
        "last_used_at",
        "state",
        "revoke",
    ]
    list_filter = [KeyStateFilter, "credential"]
    list_select_related = ["credential", "issued_by", "revoked_by"]
    search_fields = ["prefix", "credential__service_name"]
    # encrypted_key is never listed: it must not render anywhere.
    fields = [
        "prefix",
        "credential",
        "created_at_local",
        "issued_by_name",
        "last_used_at",
        "revoked_at_local",
        "revoked_by_name",
    ]
    readonly_fields = fields

    @admin.display(description="created at", ordering="created_at")
    def created_at_local(self, obj: ApiKey) -> str:
        return local_time(obj.created_at)

    @admin.display(description="revoked at")
    def revoked_at_local(self, obj: ApiKey) -> str:
        return local_time(obj.revoked_at, "not revoked")

    @staticmethod
    def user_name(user: Any) -> str:
        # Plain text: a link would lead the service desk to the user admin, which is not theirs.
        return user.get_username() if user is not None else "—"

    @admin.display(description="issued by", ordering="issued_by__username")
    def issued_by_name(self, obj: ApiKey) -> str:
        return self.user_name(obj.issued_by)

    @admin.display(description="revoked by")
    def revoked_by_name(self, obj: ApiKey) -> str:
        return self.user_name(obj.revoked_by)

    @staticmethod
    def annotate_last_used(queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        return queryset.annotate(
            last_used=Subquery(
                RequestLog.objects.filter(api_key_prefix=OuterRef("prefix"))
                .order_by("-created_at", "-id")
                .values("created_at")[:1]
            )
        )

    @staticmethod
    def describe_state(obj: ApiKey) -> str:
        if obj.revoked_at is None:
            return "active"
        by = f" by {obj.revoked_by}" if obj.revoked_by else ""
        return f"revoked {local_time(obj.revoked_at)}{by}"

    @staticmethod
    def revoke_link(obj: ApiKey) -> str:
        if obj.revoked_at is not None:
            return ""
        url = reverse("admin:maintenance_apikey_revoke", args=[obj.pk])
        return format_html('<a class="button" href="{}">Revoke…</a>', url)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return self.annotate_last_used(super().get_queryset(request))

    @admin.display(description="last used", ordering="last_used")
    def last_used_at(self, obj: ApiKey) -> str:
        return local_time(obj.last_used, "never")

    @admin.display(description="state")
    def state(self, obj: ApiKey) -> str:
        return self.describe_state(obj)

    @admin.display(description="")
    def revoke(self, obj: ApiKey) -> str:
        return self.revoke_link(obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="maintenance_apikey_revoke",
            ),
            *super().get_urls(),
        ]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET asks for confirmation (naming the consequences); POST revokes."""
        api_key = object_or_none(ApiKey.objects.select_related("credential"), object_id)
        if api_key is None or not self.has_view_permission(request, api_key):
            raise Http404("No such API key.")
        if not request.user.has_perm("maintenance.change_apikey"):
            raise PermissionDenied
        credential = api_key.credential
        change_url = reverse("admin:maintenance_systemcredential_change", args=[credential.pk])
        if api_key.revoked_at is not None:
            self.message_user(request, f"Key {api_key.prefix}… is revoked already.", messages.INFO)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            try:
                credentials.revoke_key(api_key=api_key, revoked_by=request.user)
            except credentials.CredentialError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.log_change(request, api_key, "Revoked.")
            self.log_change(request, credential, f"Revoked API key {api_key.prefix}.")
            self.message_user(
                request,
                f"Key {api_key.prefix}… of {credential.service_name} is revoked: requests "
                "signed with it are refused from now on.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        others = (
            ApiKey.objects.filter(credential=credential, revoked_at__isnull=True)
            .exclude(pk=api_key.pk)
            .count()
        )
        consequence = (
            f"{credential.service_name} keeps {others} other active key(s)."
            if others
            else f"This is the last active key of {credential.service_name}: until a new key "
            "is issued, every request from its OMS is refused (E007)."
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "credential": credential,
            "title": f"Revoke key {api_key.prefix}… of {credential.service_name}?",
            "change_url": change_url,
            "explanation": (
                f"Requests signed with key {api_key.prefix}… will be refused from the moment "
                f"it is revoked. This cannot be undone. {consequence}"
            ),
            "submit_label": "Yes, revoke this key",
            "danger": True,
        }
        return TemplateResponse(request, "admin/maintenance/confirm.html", context)


# --- Configuration parameters ------------------------------------------------------------------


@admin.register(ConfigurationParameter)
class ConfigurationParameterAdmin(DescribedAdmin):
    description = (
        "Settings of the OMS connection that the service desk may change. A change takes effect "
        "on the next request, without a restart. Open a parameter to change it; its meaning "
        "is shown next to it."
    )
    form = ConfigurationParameterForm
    list_display = ["label", "current_value", "default_value", "meaning", "updated_at"]
    list_display_links = ["label"]
    fields = ["label", "meaning", "default_value", "value"]
    readonly_fields = ["label", "meaning", "default_value"]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # Every parameter gets its row (at its default) the first time the list is seen, so
        # each one can be opened and changed; a row at its default changes nothing.
        present = set(ConfigurationParameter.objects.values_list("name", flat=True))
        missing = [
            ConfigurationParameter(name=name, value=parameter.render(parameter.default))
            for name, parameter in PARAMETERS.items()
            if name not in present
        ]
        if missing:
            ConfigurationParameter.objects.bulk_create(missing, ignore_conflicts=True)
        return super().changelist_view(request, extra_context)

    @admin.display(description="parameter", ordering="name")
    def label(self, obj: ConfigurationParameter) -> str:
        parameter = PARAMETERS.get(obj.name)
        return parameter.label if parameter else f"{obj.name} (unknown, has no effect)"

    @admin.display(description="meaning")
    def meaning(self, obj: ConfigurationParameter) -> str:
        parameter = PARAMETERS.get(obj.name)
        return parameter.meaning if parameter else ""

    @admin.display(description="default")
    def default_value(self, obj: ConfigurationParameter) -> str:
        parameter = PARAMETERS.get(obj.name)
        return parameter.render(parameter.default) if parameter else ""

    @admin.display(description="value", ordering="value")
    def current_value(self, obj: ConfigurationParameter) -> str:
        parameter = PARAMETERS.get(obj.name)
        if parameter is None:
            return obj.value
        try:
            return parameter.render(parameter.parse(obj.value))
        except Exception:  # noqa: BLE001 - a bad stored value falls back, as config does
            return f"{obj.value!r} is invalid: {parameter.render(parameter.default)} applies"


# --- Request log -------------------------------------------------------------------------------


ERROR_CODE_MEANINGS = {
    "E001": "a mandatory URL parameter is missing",
    "E002": "the Version is not 1.0",
    "E003": "the Timestamp is outside the allowed skew",
    "E004": "the Timestamp is not readable",
    "E005": "the request body is not in the expected format",
    "E007": "the signature does not match any active key",
    "E008": "the Action is unknown",
    "E009": "access denied (unknown or inactive service, or IP not whitelisted)",
    "E011": "the request is too big",
    "E030": "the request is empty",
    "E429": "too many requests",
    "E1000": "an error on Seller Center's side",
}


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    description = (
        "Every request to the OMS API: who called, from where, what it asked and what came of "
        "it. For a refused request the reason column says why in plain words: this answers "
        "“why do I receive access denied”. Open a request to see which items were refused and "
        "why. Search by client IP or request id. " + TIMES_NOTE
    )
    list_display = [
        "created_at_local",
        "service_name",
        "client_ip",
        "action",
        "outcome_and_code",
        "reason_in_words",
        "items",
    ]
    list_filter = ["outcome", "service_name", "action", "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["client_ip", "request_id"]
    search_help_text = "A client IP (or its start, e.g. 203.0.113.) or a request id."
    list_per_page = 50
    fields = [
        "request_id",
        "created_at_local",
        "service_name",
        "client_ip",
        "action",
        "outcome",
        "http_status",
        "error_code",
        "reason_in_words",
        "items_received",
        "items_refused",
        "item_errors_table",
        "api_key_prefix",
        "duration_ms",
    ]
    readonly_fields = fields

    @admin.display(description="created at", ordering="created_at")
    def created_at_local(self, obj: RequestLog) -> str:
        return local_time(obj.created_at)

    @admin.display(description="outcome", ordering="outcome")
    def outcome_and_code(self, obj: RequestLog) -> str:
        code = f" {obj.error_code}" if obj.error_code else ""
        return f"{obj.get_outcome_display()} (HTTP {obj.http_status}{code})"

    @admin.display(description="reason")
    def reason_in_words(self, obj: RequestLog) -> str:
        if obj.reason:
            return obj.reason
        meaning = ERROR_CODE_MEANINGS.get(obj.error_code)
        if meaning:
            return f"{obj.error_code}: {meaning}"
        return "—"

    @admin.display(description="items (refused)")
    def items(self, obj: RequestLog) -> str:
        if not obj.items_received:
            return "—"
        return f"{obj.items_received} ({obj.items_refused} refused)"

    @admin.display(description="refused items")
    def item_errors_table(self, obj: RequestLog) -> str:
        errors = [entry for entry in obj.item_errors or [] if isinstance(entry, dict)]
        if not errors:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    entry.get("Position", ""),
                    entry.get("ErrorCode", ""),
                    entry.get("ErrorMessage", ""),
                )
                for entry in errors
            ),
        )
        more = ""
        if obj.items_refused > len(errors):
            more = f"The first {len(errors)} of {obj.items_refused} refused items are shown."
        return format_html(
            '<table class="item-errors"><thead><tr><th>Position</th><th>Error code</th>'
            "<th>Message</th></tr></thead><tbody>{}</tbody></table><p>{}</p>",
            rows,
            more,
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """Exact request ids and (partial) IPs; anything else finds nothing, never an error."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(request_id=uuid.UUID(term)), False
        except ValueError:
            pass
        try:
            address = ipaddress.ip_address(term)
        except ValueError:
            if all(char in "0123456789abcdefABCDEF.:" for char in term):
                return queryset.filter(client_ip__startswith=term), False
            return queryset.none(), False
        return queryset.filter(client_ip=str(address)), False


# --- Status detail mapping and its refreshes ---------------------------------------------------


class RefreshNowMixin:
    """A “Refresh now” button above the list: queues a refresh from every system with an OMS
    URL (the mapping is one copy for all systems)."""

    def changelist_tools(self, request: HttpRequest) -> list[dict[str, str]]:
        if not request.user.has_perm("maintenance.add_statusdetailrefresh"):
            return []
        return [
            {
                "url": reverse("admin:maintenance_statusdetailrefresh_refresh_now"),
                "label": "Refresh now",
                "next": request.path,
            }
        ]


@admin.register(StatusDetailRefresh)
class StatusDetailRefreshAdmin(RefreshNowMixin, ReadOnlyAdmin):
    description = (
        "Seller Center fetches the status detail options from each system's OMS on a schedule. "
        "Each attempt is listed here with its outcome: how many options it added, changed or "
        "deactivated, or why it failed (a failed refresh changes nothing, and the push API goes "
        "on with the last good copy). “Refresh now” queues a refresh from every active system "
        "with an OMS URL. " + TIMES_NOTE
    )
    list_display = [
        "started_at_local",
        "credential",
        "trigger_in_words",
        "outcome",
        "added",
        "changed",
        "deactivated",
        "error",
        "finished_at_local",
    ]
    list_filter = ["outcome", "credential", "started_at"]
    list_select_related = ["credential"]
    fields = list_display

    @admin.display(description="trigger", ordering="trigger")
    def trigger_in_words(self, obj: StatusDetailRefresh) -> str:
        return obj.trigger_label

    @admin.display(description="started at", ordering="started_at")
    def started_at_local(self, obj: StatusDetailRefresh) -> str:
        return local_time(obj.started_at)

    @admin.display(description="finished at", ordering="finished_at")
    def finished_at_local(self, obj: StatusDetailRefresh) -> str:
        return local_time(obj.finished_at)

    def get_urls(self):
        return [
            path(
                "refresh-now/",
                self.admin_site.admin_view(self.refresh_now_view),
                name="maintenance_statusdetailrefresh_refresh_now",
            ),
            *super().get_urls(),
        ]

    def refresh_now_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("maintenance.add_statusdetailrefresh"):
            raise PermissionDenied
        target = request.POST.get("next") or ""
        if request.method == "POST":
            systems = list(SystemCredential.objects.filter(active=True).exclude(oms_url=""))
            queue_refresh_and_say_so(self, request, systems)
        if target != reverse("admin:maintenance_statusdetailmapping_changelist"):
            target = reverse("admin:maintenance_statusdetailrefresh_changelist")
        return HttpResponseRedirect(target)


@admin.register(StatusDetailMapping)
class StatusDetailMappingAdmin(RefreshNowMixin, ReadOnlyAdmin):
    description = (
        "Which status details exist for each status. The OMS owns this mapping: Seller Center "
        "keeps a copy, refreshed from the OMS on a schedule (see the status detail refresh "
        "history). An option the OMS no longer lists is deactivated, never deleted, so old "
        "history keeps its label; it can no longer be pushed. " + TIMES_NOTE
    )
    list_display = [
        "status",
        "label",
        "key",
        "active",
        "published_by",
        "first_seen_at",
        "last_seen_at",
    ]
    list_filter = ["status", "active", "published_by"]
    search_fields = ["label", "key"]
    ordering = ["status", "-active", "label"]
    fields = list_display
