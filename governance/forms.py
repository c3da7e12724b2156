"""Forms of the governance admin pages. They collect input; the services decide and say what is wrong."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from coordination.access import Action
from coordination.roles import Role
from providers.models import Organization

from .choices import Decision, Verdict
from .selectors import governance_reviewers, sample_reviewers

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ReviewerChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class ReviewerSingleChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class CampaignOpenForm(forms.Form):
    name = forms.CharField(max_length=200, help_text='For example "Q3 2026 access review, county staff".')
    organizations = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="Every active membership here is reviewed, and every referral share or assignment held by "
        "their staff or on their referrals.",
    )
    reviewers = ReviewerChoice(
        queryset=governance_reviewers().none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Governance leads who decide the items. Nobody decides on their own access.",
    )
    period_start = forms.DateField(widget=DATE, help_text="Evidence window: activity from this day...")
    period_end = forms.DateField(widget=DATE, help_text="...to this day (inclusive).")
    due_at = forms.DateTimeField(widget=DATETIME, help_text="Reviewers are reminded daily once this has passed.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = Organization.objects.visible_to(user, Action.VIEW).filter(active=True)
        self.fields["reviewers"].queryset = governance_reviewers()
        today = timezone.localdate()
        self.fields["period_start"].initial = today - datetime.timedelta(days=90)
        self.fields["period_end"].initial = today
        self.fields["due_at"].initial = timezone.localtime() + datetime.timedelta(days=14)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(d.value, d.label) for d in Decision if d != Decision.UNDECIDED], widget=forms.RadioSelect
    )
    new_role = forms.ChoiceField(
        choices=[("", "---------"), *Role.choices], required=False, help_text="Only for 'change role'."
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Required to revoke or change a role."
    )


class CancelForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the campaign is cancelled.")


class SampleDrawForm(forms.Form):
    period_start = forms.DateField(widget=DATE)
    period_end = forms.DateField(widget=DATE, help_text="Inclusive.")
    size = forms.IntegerField(min_value=1, max_value=500, initial=25, help_text="How many access events to draw.")
    reviewer = ReviewerSingleChoice(queryset=sample_reviewers().none(), help_text="Their own accesses are left out.")
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        help_text="Only events by staff acting for this organization (optional).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = sample_reviewers()
        self.fields["organization"].queryset = Organization.objects.visible_to(user, Action.VIEW)
        today = timezone.localdate()
        self.fields["period_start"].initial = today - datetime.timedelta(days=30)
        self.fields["period_end"].initial = today


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[(v.value, v.label) for v in Verdict if v != Verdict.UNREVIEWED], widget=forms.RadioSelect
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Required when inappropriate."
    )


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form, for fields it does not have)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
