"""The Maintenance section's data: system credentials, their whitelisted networks and API keys,
configuration parameters, the request log and the history of status detail refreshes."""

from __future__ import annotations

import ipaddress
import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from orders.models import StatusDetailOption

SERVICE_NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
    "A service name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
)


def validate_network(value: str) -> None:
    """A single IPv4/IPv6 address or a CIDR network without host bits set."""
    normalize_network(value)


def normalize_network(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError("Enter an IP address or network, e.g. 203.0.113.9 or 10.0.0.0/24.")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            loose = ipaddress.ip_network(text, strict=False)
            raise ValidationError(
                f"{text} has host bits set: the network is {loose}. "
                f"Enter {loose}, or the single address without a prefix length."
            ) from exc
        raise ValidationError(
            f"{text!r} is not an IPv4 or IPv6 address or network "
            "(e.g. 203.0.113.9, 10.0.0.0/24, 2001:db8::/32)."
        ) from exc
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
        mapped = network.network_address.ipv4_mapped
        prefix = network.prefixlen - 96
        if prefix >= 0:
            network = ipaddress.ip_network(f"{mapped}/{prefix}")
    return str(network)


HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def validate_oms_url(value: str) -> None:
    """An http or https URL on any host: a single label (oms), underscores (sc_oms.local),
    IPv4, bracketed IPv6 or localhost, with or without a port (docs/spec oms-api.md §7).
    Django's URLValidator would refuse the single-label hosts of an internal network."""
    text = value or ""
    if not text:
        return
    if not text.lower().startswith(("http://", "https://")):
        raise ValidationError(f"The OMS URL {text!r} must start with http:// or https://.")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValidationError(
            f"The OMS URL {text!r} must not contain spaces or credentials: remove the spaces."
        )
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise ValidationError(f"The OMS URL {text!r} is not a valid URL: {exc}.") from exc
    if "@" in parts.netloc:
        raise ValidationError(
            f"The OMS URL {text!r} must not contain spaces or credentials: remove the "
            "user:password@ part."
        )
    host = parts.hostname or ""
    if not host:
        raise ValidationError(f"The OMS URL {text!r} has no host, e.g. http://oms:8080/.")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationError(
            f"The OMS URL {text!r} has an invalid port: enter a number from 1 to 65535."
        ) from exc
    if port == 0 or parts.netloc.endswith(":"):
        raise ValidationError(
            f"The OMS URL {text!r} has an invalid port: enter a number from 1 to 65535."
        )
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise ValidationError(
                f"The OMS URL {text!r} has an invalid IPv6 address {host!r}."
            ) from exc
        return
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(HOST_LABEL.match(label) for label in labels):
        raise ValidationError(
            f"The OMS URL {text!r} has an invalid host {host!r}: use letters, digits, '-', "
            "'_' and dots, an IPv4 address or an IPv6 address in brackets."
        )


oms_url_validator = validate_oms_url


class SystemCredential(models.Model):
    """A system (a Venture OMS) allowed to call the OMS API under its ``ServiceName``."""

    service_name = models.CharField(
        max_length=64,
        unique=True,
        validators=[SERVICE_NAME_VALIDATOR],
        help_text="The ServiceName the OMS sends with every request, e.g. OMS.",
    )
    active = models.BooleanField(
        default=True, help_text="Only active systems may call the OMS API."
    )
    oms_url = models.CharField(
        "OMS URL",
        max_length=500,
        blank=True,
        default="",
        validators=[validate_oms_url],
        help_text=(
            "Where this OMS serves getStatusDetailOptionList (http or https, any host). "
            "Leave empty if it publishes no status details."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service_name"]
        verbose_name = "system credential"

    def __str__(self) -> str:
        return self.service_name


class WhitelistedNetwork(models.Model):
    credential = models.ForeignKey(
        SystemCredential, on_delete=models.CASCADE, related_name="networks"
    )
    network = models.CharField(
        "IP address or network",
        max_length=64,
        validators=[validate_network],
        help_text="A single address (203.0.113.9, 2001:db8::1) or a network (10.0.0.0/24).",
    )
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = "whitelisted IP or network"
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "network"], name="whitelisted_network_unique"
            )
        ]

    def __str__(self) -> str:
        return self.network

    def clean(self) -> None:
        try:
            self.network = normalize_network(self.network)
        except ValidationError as exc:
            raise ValidationError({"network": exc.messages}) from exc


class ApiKey(models.Model):
    """An API key of a system, encrypted at rest; shown in clear only when it is issued."""

    credential = models.ForeignKey(
        SystemCredential, on_delete=models.CASCADE, related_name="api_keys"
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    encrypted_key = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({'revoked' if self.revoked_at else 'active'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ConfigurationParameter(models.Model):
    """A setting the service desk changes at run time; defaults live in ``maintenance.config``."""

    name = models.CharField(max_length=100, unique=True)
    value = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        # The label the service desk sees ("Import detailed order statuses from OMS"), also in
        # the admin's messages and log; an unknown name stays as it is.
        from .config import PARAMETERS

        parameter = PARAMETERS.get(self.name)
        return parameter.label if parameter else self.name


class RequestOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    PARTIAL = "partial", "Some items refused"
    REFUSED = "refused", "Refused"
    ERROR = "error", "Platform error"


class RequestLog(models.Model):
    """One request to the OMS API: who, from where, what came of it and why. Never a key."""

    request_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(db_index=True)
    service_name = models.CharField(max_length=200, blank=True, default="", db_index=True)
    client_ip = models.GenericIPAddressField("client IP", null=True, blank=True)
    action = models.CharField(max_length=100, blank=True, default="")
    http_status = models.PositiveSmallIntegerField("HTTP status")
    error_code = models.CharField(max_length=8, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=RequestOutcome.choices)
    reason = models.TextField(blank=True, default="")
    items_received = models.PositiveIntegerField(default=0)
    items_refused = models.PositiveIntegerField(default=0)
    item_errors = models.JSONField(default=list, blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)", default=0)
    api_key_prefix = models.CharField("API key prefix", max_length=12, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "request log entry"
        verbose_name_plural = "request log"
        indexes = [
            models.Index(fields=["service_name", "-created_at"], name="requestlog_service_time"),
            models.Index(fields=["api_key_prefix", "-created_at"], name="requestlog_key_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.service_name} {self.http_status}"


class RefreshOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


REFRESH_TRIGGERS = {
    "unknown_status_detail": "push named an unknown status detail",
    "admin": "Refresh now (admin)",
    "command": "refresh_status_details command",
    "schedule": "schedule",
    "startup": "Celery beat start",
}


class StatusDetailRefresh(models.Model):
    """One attempt to refresh the status detail options from a system's OMS."""

    credential = models.ForeignKey(
        SystemCredential, on_delete=models.CASCADE, related_name="refreshes"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=RefreshOutcome.choices)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    trigger = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "status detail refresh"
        verbose_name_plural = "status detail refreshes"

    def __str__(self) -> str:
        return f"{self.credential} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"

    @property
    def trigger_label(self) -> str:
        """What started this refresh, in words; an unknown code as it is."""
        return REFRESH_TRIGGERS.get(self.trigger, self.trigger or "—")


class StatusDetailMapping(StatusDetailOption):
    """The status detail options as the Maintenance section shows them (read-only: the OMS
    owns the mapping); a proxy, so the service desk finds it next to the refresh history."""

    class Meta:
        proxy = True
        verbose_name = "status detail mapping"
        verbose_name_plural = "status detail mapping"
