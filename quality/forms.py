"""The period and organization of the data quality page and its CSV export (one message per invalid field)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .conf import default_weeks
from .selectors import ONE_WEEK, week_start_of

MAX_WEEKS = 53
SECTIONS = ("weeks", "organizations", "users", "fields")


class QualityFilterForm(forms.Form):
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Starts on its Monday."
    )
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    organization = forms.ChoiceField(label="Sending organization", required=False)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        self.fields["organization"].choices = [("", "All you may see")] + [
            (pk, o.name) for pk, o in sorted(self.organizations.items(), key=lambda item: item[1].name)
        ]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or week_start_of(until) - ONE_WEEK * (default_weeks() - 1)
        if "since" in self.errors or "until" in self.errors:
            return data
        if since > until:
            self.add_error("since", "The period must start before it ends.")
        elif (until - week_start_of(since)).days // 7 >= MAX_WEEKS:
            self.add_error("since", f"Choose a period of at most {MAX_WEEKS} weeks.")
        data["since"], data["until"] = since, until
        return data

    def chosen_organizations(self) -> list:
        chosen = self.cleaned_data.get("organization")
        return [self.organizations[chosen]] if chosen else list(self.organizations.values())

    def as_params(self) -> dict[str, str]:
        params = {"since": self.cleaned_data["since"].isoformat(), "until": self.cleaned_data["until"].isoformat()}
        if self.cleaned_data.get("organization"):
            params["organization"] = self.cleaned_data["organization"]
        return params


def clean_section(value: str | None) -> str | None:
    return value if value in SECTIONS else None
