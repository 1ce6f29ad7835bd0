"""Forms of the Maintenance section: each refuses a mistake with a clear message before
anything is saved (whitelisted networks, configuration parameter values)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .config import PARAMETERS, Parameter
from .credentials import same_name_as
from .models import (
    ConfigurationParameter,
    SystemCredential,
    WhitelistedNetwork,
    normalize_network,
)


class SystemCredentialForm(forms.ModelForm):
    """Refuses a name that differs from another system's only in case (DEMO-OMS, demo-oms)."""

    class Meta:
        model = SystemCredential
        fields = ["service_name", "active", "oms_url"]

    def clean_service_name(self) -> str:
        name = self.cleaned_data.get("service_name", "")
        existing = same_name_as(name, exclude_pk=self.instance.pk)
        if existing is not None and existing != name:
            raise ValidationError(
                f"A system named {existing} exists already; service names that differ only "
                "in case are not allowed. Open that system, or choose another name."
            )
        return name


class WhitelistedNetworkForm(forms.ModelForm):
    class Meta:
        model = WhitelistedNetwork
        fields = ["network", "note"]

    def clean_network(self) -> str:
        # Stored normalized (10.0.0.0/24, IPv4-mapped IPv6 as IPv4), so duplicates are found.
        network = normalize_network(self.cleaned_data.get("network", ""))
        if network.endswith("/0"):
            # Every address of IPv4 (or IPv6): the whitelist would no longer protect anything.
            raise ValidationError(
                f"{network} would let the whole internet in; enter the OMS's own addresses."
            )
        return network

    def _post_clean(self) -> None:
        # The model's clean() checks the network once more; once the field is refused, that
        # would only add a second, vaguer message ("Enter an IP address ...") for one mistake.
        if self.has_error("network"):
            return
        super()._post_clean()


class WhitelistedNetworkFormSet(forms.BaseInlineFormSet):
    """Refuses the same network twice, however it is spelled (e.g. ::ffff:10.0.0.1)."""

    def clean(self) -> None:
        seen: dict[str, str] = {}
        duplicates = False
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            network = form.cleaned_data.get("network")
            if not network:
                continue
            if network in seen:
                form.add_error(
                    "network",
                    f"{network} is listed twice (also as {seen[network]}); keep one of them.",
                )
                duplicates = True
            else:
                seen[network] = form.data.get(form.add_prefix("network"), network)
        if duplicates:
            # Said above, per row; the generic unique check would only repeat it vaguely.
            return
        super().clean()
        rows_refused = any(
            form.errors
            for form in self.forms
            if not (self.can_delete and self._should_delete_form(form))
        )
        if rows_refused:
            # A mistyped row says what is wrong with it; "add an address" would only mislead.
            return
        if getattr(self.instance, "active", False) and not seen:
            # Without a whitelisted address every request of the system is refused (E009).
            raise ValidationError(
                "An active system needs at least one whitelisted IP or network: add the "
                "address its OMS calls from, or untick Active."
            )


class ConfigurationParameterForm(forms.ModelForm):
    """The value of one parameter, checked with its own rules (``Parameter.parse``)."""

    class Meta:
        model = ConfigurationParameter
        fields = ["value"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        parameter = self.parameter
        field = self.fields["value"]
        if parameter is None:
            return
        field.label = parameter.label
        field.help_text = parameter.meaning
        if parameter.kind is bool:
            field.widget = forms.Select(choices=[("on", "on"), ("off", "off")])
        else:
            bounds = []
            if parameter.minimum is not None:
                bounds.append(f"at least {parameter.minimum}")
            if parameter.maximum is not None:
                bounds.append(f"at most {parameter.maximum}")
            if bounds:
                field.help_text = f"{parameter.meaning} A whole number, {' and '.join(bounds)}."
        field.initial = parameter.render(parameter.default)

    @property
    def parameter(self) -> Parameter | None:
        return PARAMETERS.get(self.instance.name)

    def clean_value(self) -> str:
        raw = self.cleaned_data.get("value", "")
        parameter = self.parameter
        if parameter is None:
            raise ValidationError(
                f"{self.instance.name!r} is not a known parameter; it has no effect."
            )
        # Stored in its canonical spelling, so what the page shows is what the code reads.
        return parameter.render(parameter.parse(raw))
