"""Configuration parameters: what they are, their defaults, and how to read them.

Values live in ``ConfigurationParameter`` rows the service desk edits in the admin; a parameter
without a row has its default. Every read goes to the database, so a change takes effect on the
next request without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .models import ConfigurationParameter


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    meaning: str
    kind: type
    default: object
    minimum: int | None = None
    maximum: int | None = None

    def parse(self, raw: str) -> object:
        text = (raw or "").strip()
        if self.kind is bool:
            lowered = text.lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValidationError(f"{self.label}: enter on or off, not {raw!r}.")
        try:
            value = int(text)
        except ValueError as exc:
            raise ValidationError(f"{self.label}: enter a whole number, not {raw!r}.") from exc
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"{self.label}: must be at least {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(f"{self.label}: must be at most {self.maximum}.")
        return value

    def render(self, value: object) -> str:
        if self.kind is bool:
            return "on" if value else "off"
        return str(value)


IMPORT_STATUS_DETAILS = "import_detailed_order_statuses_from_oms"
TIMESTAMP_SKEW_SECONDS = "oms_api_timestamp_skew_seconds"
REQUEST_LOG_RETENTION_DAYS = "request_log_retention_days"

PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            IMPORT_STATUS_DETAILS,
            "Import detailed order statuses from OMS",
            "When on, the OMS may set an item's status detail with UpdateItemsInformation. "
            "When off, such items are refused with E093 and sellers see no new details.",
            bool,
            True,
        ),
        Parameter(
            TIMESTAMP_SKEW_SECONDS,
            "Allowed timestamp skew (seconds)",
            "How far the Timestamp of an OMS API request may lie in the past or the future. "
            "Older or later requests are refused with E003 (protects against replayed requests).",
            int,
            300,
            minimum=1,
            maximum=86400,
        ),
        Parameter(
            REQUEST_LOG_RETENTION_DAYS,
            "Request log retention (days)",
            "How many days the OMS API request log is kept; older entries are pruned daily.",
            int,
            30,
            minimum=1,
            maximum=3650,
        ),
    )
}


def get_parameter(name: str) -> object:
    """The current value of parameter ``name`` (its default when no row or a bad row)."""
    parameter = PARAMETERS[name]
    raw = ConfigurationParameter.objects.filter(name=name).values_list("value", flat=True).first()
    if raw is None:
        return parameter.default
    try:
        return parameter.parse(raw)
    except ValidationError:
        return parameter.default
