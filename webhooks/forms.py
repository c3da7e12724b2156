"""The endpoint form of the settings pages; the services do the real checking (URL, events, permissions)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from coordination.events import Event


class WebhookEndpointForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=None, required=True, empty_label=None)
    url = forms.CharField(
        label="Address (URL)",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://partner.example.org/portal-webhooks"}),
        help_text="Each event is POSTed here as signed JSON (Standard Webhooks). https is required in production.",
    )
    description = forms.CharField(max_length=200, required=False, help_text="Which system this is, for your staff.")
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )
    active = forms.BooleanField(required=False, initial=True, help_text="Untick to stop sending for now.")

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is None or len(organizations) < 2:
            # Only one organization to choose: it is implied, not asked.
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
