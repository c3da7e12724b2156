"""Page forms for referrals. They parse and label; the services decide (their errors land on these fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from providers.choices import SdohCategory
from providers.languages import LANGUAGE_CHOICES

from .choices import EligibilityBasis, ReferralContactMethod, RiskFlag, SensitiveCategory, Urgency
from .services import NOTE_MAX_LENGTH, TEMPLATE_FIELDS
from .validation import template_errors
from .workflow import Transition

CODE_LABELS = {"reason_code": "Reason", "outcome_code": "Outcome", "contact_result": "Contact result"}
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields; unknown keys go to the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ListAsSelect(forms.Select):
    """A single select feeding a multiple-choice filter (`?status=sent`); the blank choice means any."""

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        values = getter(name) if getter else [data.get(name)]
        return [v for v in values if v]


class ReferralDetailsForm(forms.Form):
    """The referral template: the need, its urgency and what the provider must know."""

    category = forms.ChoiceField(label="Need", choices=[("", "Choose the need"), *SdohCategory.choices])
    # Not required here: the template's rules (referrals/validation/rules.py) say what is missing, for every channel.
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        required=False,
        widget=forms.RadioSelect,
        help_text="Crisis: the provider must acknowledge within an hour. Urgent: within four hours.",
    )
    reason = forms.CharField(
        label="Reason for referral",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="What the client needs and what has been tried. The provider reads this first.",
    )
    risk_flags = forms.MultipleChoiceField(
        label="Risk flags", choices=RiskFlag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    contact_constraints = forms.CharField(
        label="Contact constraints",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: do not leave voicemail; call the shelter desk instead.",
    )
    safe_contact_times = forms.CharField(
        label="Safe times to contact", required=False, max_length=200, help_text="For example: weekdays 9-12."
    )
    eligibility_basis = forms.MultipleChoiceField(
        label="Eligibility basis", choices=EligibilityBasis.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    eligibility_note = forms.CharField(
        label="Eligibility note", required=False, max_length=500, help_text="Required when the basis is 'Other'."
    )
    sensitive_categories = forms.MultipleChoiceField(
        label="The reason mentions",
        choices=SensitiveCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Consent must cover these before the referral can be sent.",
    )
    contact_method = forms.ChoiceField(
        label="How the provider contacts the client",
        choices=ReferralContactMethod.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="Phone, text, email and mail use the client's record. Choose the case manager when the client "
        "must not be contacted directly.",
    )
    language = forms.ChoiceField(
        label="Language for the provider to use",
        choices=[("", "Choose a language"), *LANGUAGE_CHOICES],
        required=False,
    )
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.agencies = list(agencies or [])
        # Only people who refer for several agencies are asked which one.
        if len(self.agencies) > 1:
            self.fields["referring_organization"] = forms.ChoiceField(
                label="Referring agency", choices=[("", "Choose an agency"), *((str(a.pk), a.name) for a in agencies)]
            )

    def clean(self):
        data = super().clean()
        for field, errors in template_errors(data).items():
            if field not in self.errors:
                self.add_error(field, errors)
        return data

    def template_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in TEMPLATE_FIELDS}
        if not data["contact_method"]:
            # Radios cannot be cleared in a browser: nothing chosen means the default (new) or unchanged (edit).
            del data["contact_method"]
        return data

    def chosen_agency(self):
        if "referring_organization" not in self.fields:
            return self.agencies[0] if self.agencies else None
        chosen = self.cleaned_data["referring_organization"]
        return next(a for a in self.agencies if str(a.pk) == chosen)

    @staticmethod
    def initial_from(referral) -> dict[str, Any]:
        return {name: getattr(referral, name) for name in TEMPLATE_FIELDS}


class ServiceChoiceForm(forms.Form):
    service = forms.ChoiceField(
        label="Service", widget=forms.RadioSelect, error_messages={"required": "Choose a service."}
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    show_full = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.options = {str(option.service.pk): option for option in options}
        self.fields["service"].choices = [(pk, option.service.name) for pk, option in self.options.items()]

    def chosen_service(self):
        return self.options[self.cleaned_data["service"]].service


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class SendForm(VersionForm):
    """The review step's send button; the box confirms the warnings the last attempt listed."""

    confirm_warnings = forms.BooleanField(
        label="I have checked these warnings and want to send the referral anyway.", required=False
    )


class TransitionForm(forms.Form):
    """One workflow step: its coded input, appointment time and note, as the table says. Prefixed by name."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, transition: Transition, **kwargs):
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, label_suffix="", **kwargs)
        self.transition = transition
        if transition.code_field:
            self.fields[transition.code_field] = forms.ChoiceField(
                label=CODE_LABELS[transition.code_field],
                choices=[("", "Choose one"), *transition.codes.choices],
            )
        if transition.needs_appointment:
            self.fields["appointment_at"] = forms.DateTimeField(
                label="Appointment date and time",
                input_formats=[DATETIME_LOCAL],
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
            )
        self.fields["note"] = forms.CharField(
            label="Note" if transition.note_required else "Note (optional)",
            required=transition.note_required,
            max_length=NOTE_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Required when you choose 'Other'." if transition.code_field else "",
        )
        if transition.danger:
            self.fields["confirm"] = forms.BooleanField(
                label=f"Yes, {transition.label.lower()}. This cannot be undone.",
                error_messages={"required": "Tick the box to confirm."},
            )

    def clean(self):
        data = super().clean()
        code = data.get(self.transition.code_field, "") if self.transition.code_field else ""
        if self.transition.note_needed(code) and not (data.get("note") or "").strip() and "note" not in self.errors:
            self.add_error("note", "Explain 'other' in a note." if code == "other" else "A note is required here.")
        return data

    def inputs(self) -> dict[str, Any]:
        keys = ("note", self.transition.code_field, "appointment_at")
        return {k: self.cleaned_data[k] for k in keys if k and k in self.cleaned_data}


class AssignWorkerForm(forms.Form):
    worker = forms.ModelChoiceField(
        label="Assigned worker", queryset=None, required=False, empty_label="Nobody (any intake staff)"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["worker"].queryset = workers
        self.fields["worker"].label_from_instance = lambda u: f"{u.get_full_name() or u.username} ({u.username})"


class ShareForm(forms.Form):
    colleague = forms.ModelChoiceField(label="Colleague", queryset=None, empty_label="Choose a colleague")
    expires_on = forms.DateField(
        label="Share until (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty to share until you remove it.",
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["colleague"].queryset = colleagues
        self.fields["colleague"].label_from_instance = lambda u: f"{u.username} ({u.get_full_name() or 'no name'})"
