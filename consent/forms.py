"""Page forms for recording and revoking consent and for breaking the glass. They parse and label; services decide.

`consent_record` answers with errors keyed like "date", "signed_form", "provisions", "provisions[0]" or
"provisions[0].purposes"; `add_record_errors` puts each next to the field it is about.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils import timezone

from coordination.access import Action
from providers.choices import PartnerCategory
from providers.models import Organization

from .choices import (
    FORBIDDEN_PURPOSES,
    ConsentMethod,
    ConsentStatus,
    DataCategory,
    ProvisionType,
    PurposeOfUse,
    RevocationMethod,
)
from .services import RECORDABLE_STATUSES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PROVISION_PREFIX = "provisions"
MAX_PROVISIONS = 20
STATUS_LABELS = {
    ConsentStatus.ACTIVE: "Active: the client agreed",
    ConsentStatus.DRAFT: "Draft: not final yet (for example, waiting for the signature)",
    ConsentStatus.REJECTED: "Rejected: the client refused",
}


class ConsentRecordForm(forms.Form):
    status = forms.ChoiceField(
        label="What did the client decide?",
        choices=[(status.value, STATUS_LABELS[status]) for status in RECORDABLE_STATUSES],
        initial=ConsentStatus.ACTIVE,
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label="How was it given?",
        choices=ConsentMethod.choices,
        initial=ConsentMethod.WRITTEN,
        widget=forms.RadioSelect,
    )
    date = forms.DateField(
        label="Date", initial=timezone.localdate, widget=DATE_WIDGET, help_text="The day the client decided."
    )
    signed_form = forms.FileField(
        label="Signed form",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
        help_text="Optional: a PDF, PNG or JPEG scan, 5 MB at most. It is kept privately with the record.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


class ProvisionForm(forms.Form):
    """One rule of the consent: permit or deny whom, to see what, for which purposes, during which dates."""

    type = forms.ChoiceField(
        label="Permit or deny",
        choices=[
            (ProvisionType.PERMIT.value, "Permit: the client allows this sharing"),
            (ProvisionType.DENY.value, "Deny: the client does not allow this sharing"),
        ],
        initial=ProvisionType.PERMIT,
        widget=forms.RadioSelect,
    )
    partner_categories = forms.MultipleChoiceField(
        label="Kinds of partners",
        choices=PartnerCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Covers every partner organization of a ticked kind.",
    )
    organizations = forms.ModelMultipleChoiceField(
        label="Named organizations",
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Hold Ctrl (or Cmd) to choose several. Substance use information is shared only with "
        "organizations named here.",
    )
    purposes = forms.MultipleChoiceField(
        label="For what purposes",
        choices=[(code, label) for code, label in PurposeOfUse.choices if code not in FORBIDDEN_PURPOSES],
        initial=[PurposeOfUse.COC.value],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one purpose."},
        help_text="Marketing is never permitted, whatever the consent says.",
    )
    data_categories = forms.MultipleChoiceField(
        label="Which information",
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one kind of information."},
    )
    start = forms.DateField(label="From", initial=timezone.localdate, widget=DATE_WIDGET)
    end = forms.DateField(
        label="Until", required=False, widget=DATE_WIDGET, help_text="The last day it applies. Empty: no end date."
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["organizations"].queryset = (
            Organization.objects.visible_to(actor, Action.VIEW).filter(active=True).order_by("name")
        )

    def clean(self):
        # Checks a worker can correct on the spot, shown on the field concerned; the service checks them again.
        data = super().clean()
        if not data.get("partner_categories") and not data.get("organizations") and "organizations" not in self.errors:
            self.add_error(
                "partner_categories", "Say who it applies to: tick a kind of partner, name an organization, or both."
            )
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return data

    def provision(self) -> dict[str, Any]:
        """The provision as `consent_record` takes it."""
        data = self.cleaned_data
        return {
            "type": data["type"],
            "partner_categories": list(data["partner_categories"]),
            "organizations": list(data["organizations"]),
            "purposes": list(data["purposes"]),
            "data_categories": list(data["data_categories"]),
            "start": data["start"],
            "end": data["end"],
        }


class BaseProvisionFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": "Give at least one provision: what the client permits or denies.",
        "too_many_forms": f"Give at most {MAX_PROVISIONS} provisions.",
    }

    def __init__(self, *args, actor=None, **kwargs):
        self.actor = actor
        super().__init__(*args, prefix=PROVISION_PREFIX, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "actor": self.actor}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove this provision"

    def kept_forms(self) -> list[ProvisionForm]:
        """The filled-in provisions in page order, leaving out removed and untouched extra ones."""
        return [
            form
            for form in self.forms
            if (form.has_changed() or not form.empty_permitted) and not self._should_delete_form(form)
        ]

    def form_at(self, index: int) -> ProvisionForm:
        """A blank provision numbered `index`, for adding one to the page."""
        form = self.empty_form
        form.prefix = self.add_prefix(index)
        return form

    def silence(self) -> None:
        """Show what was typed without errors: the worker is still filling the form in."""
        self._non_form_errors = self.error_class(error_class="nonform", renderer=self.renderer)
        for form in self.forms:
            form._errors, form.cleaned_data = ErrorDict(), {}
        self._errors = [form._errors for form in self.forms]


ProvisionFormSet = forms.formset_factory(
    ProvisionForm,
    formset=BaseProvisionFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_PROVISIONS,
    validate_max=True,
    can_delete=True,
)


def with_one_more_provision(data):
    """The submitted data with room for one more provision (the no-script "Add a provision" button)."""
    data = data.copy()
    key = f"{PROVISION_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(key) or 0)
    except ValueError:
        total = 0
    data[key] = str(min(max(total, 0) + 1, MAX_PROVISIONS))
    return data


def add_record_errors(
    form: ConsentRecordForm, formset: BaseProvisionFormSet, kept: list[ProvisionForm], error: ValidationError
) -> None:
    """Put `consent_record`'s errors next to the fields they are about; unknown keys go to the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        if key in form.fields:
            form.add_error(key, messages)
        elif key == "provisions":
            formset.non_form_errors().extend(messages)
        elif key.startswith("provisions["):
            index, _, field = key.removeprefix("provisions[").partition("]")
            field = field.removeprefix(".")
            if index.isdigit() and int(index) < len(kept):
                target = kept[int(index)]
                target.add_error(field if field in target.fields else None, messages)
            else:
                form.add_error(None, messages)
        else:
            form.add_error(None, messages)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Why is consent withdrawn?",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the consent is withdrawn."},
        help_text="In the client's words if you can, for example: asked us to stop sharing with the shelter.",
    )
    method = forms.ChoiceField(
        label="How did the client withdraw it?",
        choices=RevocationMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the client withdrew consent."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


BREAK_GLASS_MINUTES = (15, 30, 60, 120)


def _duration(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours > 1 else ''}"


class BreakGlassForm(forms.Form):
    """Emergency access to what consent withholds: why (typed, not picked) and for how long."""

    reason = forms.CharField(
        label="What is the emergency?",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the emergency."},
        help_text="Governance reads this. For example: client in crisis at our door, need the safety plan now.",
    )
    minutes = forms.TypedChoiceField(
        label="For how long?",
        choices=[(m, _duration(m)) for m in BREAK_GLASS_MINUTES],
        coerce=int,
        initial=60,
        error_messages={"invalid_choice": "Choose one of the listed durations."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def add_service_errors(self, error: ValidationError) -> None:
        """`break_glass_start` errors ({"reason": [...], "minutes": [...]}) next to their fields."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
