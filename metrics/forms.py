"""The period and filters of the numbers: one form for the dashboard, its CSV export and the API (one message
per invalid field in each)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from coordination.access import Action
from providers.choices import SdohCategory
from providers.models import Organization
from referrals.choices import Urgency

from .definitions import BOTTLENECK_MIN_VOLUME, DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS, period_bounds

DATE_FORMAT = "%Y-%m-%d"
FILTER_FIELDS = ("since", "until", "receiving_organization", "referring_organization", "category", "urgency")
QUERY_FIELDS = (*FILTER_FIELDS, "min_volume")


@dataclass(frozen=True)
class MetricsQuery:
    since: datetime.date
    until: datetime.date
    receiving_organization: Organization | None = None
    referring_organization: Organization | None = None
    category: str = ""
    urgency: str = ""
    min_volume: int = BOTTLENECK_MIN_VOLUME

    @classmethod
    def default(cls, today: datetime.date | None = None, **filters) -> MetricsQuery:
        until = today or timezone.localdate()
        return cls(since=until - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1), until=until, **filters)

    def bounds(self) -> tuple[datetime.datetime, ...]:
        return period_bounds(self.since, self.until, timezone.get_current_timezone())

    def referral_filters(self) -> dict:
        """The filters as keyword arguments of a referral queryset."""
        filters = {}
        if self.receiving_organization is not None:
            filters["receiving_organization_id"] = self.receiving_organization.pk
        if self.referring_organization is not None:
            filters["referring_organization_id"] = self.referring_organization.pk
        if self.category:
            filters["category"] = self.category
        if self.urgency:
            filters["urgency"] = self.urgency
        return filters

    def echo(self) -> dict:
        """The filters as the API answers them (ids and codes; null when not set)."""

        def org(value: Organization | None) -> dict | None:
            return {"id": str(value.pk), "name": value.name} if value is not None else None

        return {
            "receiving_organization": org(self.receiving_organization),
            "referring_organization": org(self.referring_organization),
            "category": self.category or None,
            "urgency": self.urgency or None,
        }

    def as_params(self) -> dict[str, str]:
        """Query-string parameters that reproduce this query (links, the CSV export, the audit row)."""
        params = {"since": self.since.strftime(DATE_FORMAT), "until": self.until.strftime(DATE_FORMAT)}
        for name in ("receiving_organization", "referring_organization"):
            value = getattr(self, name)
            if value is not None:
                params[name] = str(value.pk)
        for name in ("category", "urgency"):
            if getattr(self, name):
                params[name] = getattr(self, name)
        if self.min_volume != BOTTLENECK_MIN_VOLUME:
            params["min_volume"] = str(self.min_volume)
        return params


def _date_field(label: str, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
        help_text=help_text,
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, for example 2026-01-31."},
    )


class _OrganizationField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return obj.name

    def to_python(self, value):
        # A malformed id gets the same message as an unknown one (the UUID field's own is about formats).
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


def _organization_field(label: str, queryset) -> _OrganizationField:
    return _OrganizationField(
        label=label,
        queryset=queryset,
        required=False,
        empty_label="Any",
        error_messages={"invalid_choice": "No organization with this id."},
    )


class MetricsFilterForm(forms.Form):
    since = _date_field("From", "Referrals sent on or after this day.")
    until = _date_field("To", "Referrals sent on or before this day.")
    receiving_organization = _organization_field("Receiving organization", Organization.objects.none())
    referring_organization = _organization_field("Referring organization", Organization.objects.none())
    category = forms.ChoiceField(
        label="Need",
        required=False,
        choices=[("", "Any"), *SdohCategory.choices],
        error_messages={"invalid_choice": "Unknown need '%(value)s': use a service category code."},
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        required=False,
        choices=[("", "Any"), *Urgency.choices],
        error_messages={"invalid_choice": "Unknown urgency '%(value)s': use routine, urgent or crisis."},
    )
    min_volume = forms.IntegerField(
        label="Bottleneck minimum volume",
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="Needs and providers with fewer sent referrals are not ranked as bottlenecks.",
        error_messages={"invalid": "Enter a whole number of referrals."},
    )

    def __init__(self, data=None, *, user, today: datetime.date | None = None, **kwargs):
        super().__init__(data, label_suffix="", **kwargs)
        self.today = today or timezone.localdate()
        # The directory is public to signed-in users; the numbers stay scoped whatever organization is chosen.
        organizations = Organization.objects.visible_to(user, Action.VIEW).order_by("name")
        self.fields["receiving_organization"].queryset = organizations
        self.fields["referring_organization"].queryset = organizations.filter(kind="agency")

    def clean(self):
        cleaned = super().clean()
        if "since" in self.errors or "until" in self.errors:
            return cleaned
        until = cleaned.get("until") or self.today
        since = cleaned.get("since") or (until - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1))
        if since > until:
            self.add_error("since", f"The period starts after it ends: choose a day on or before {until:%Y-%m-%d}.")
        elif (until - since).days + 1 > MAX_PERIOD_DAYS:
            self.add_error("since", f"A period covers at most {MAX_PERIOD_DAYS} days: choose a later start.")
        cleaned["since"], cleaned["until"] = since, until
        return cleaned

    def query(self) -> MetricsQuery:
        data = self.cleaned_data
        return MetricsQuery(
            since=data["since"],
            until=data["until"],
            receiving_organization=data.get("receiving_organization"),
            referring_organization=data.get("referring_organization"),
            category=data.get("category") or "",
            urgency=data.get("urgency") or "",
            min_volume=data.get("min_volume") or BOTTLENECK_MIN_VOLUME,
        )
