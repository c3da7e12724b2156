"""Page forms for clients; the rules match the API serializer (clients/api/serializers.py)."""

from __future__ import annotations

from django import forms

from .choices import IdentifierSystem
from .models import Client
from .services import CLIENT_FIELDS
from .validation import missing_contact_detail, validate_birth_date

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClientSearchForm(forms.Form):
    q = forms.CharField(label="Name or identifier", required=False, max_length=200)
    birth_date = forms.DateField(label="Birth date", required=False, widget=DATE_WIDGET)
    identifier = forms.CharField(label="Identifier", required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(name) for name in ("q", "birth_date", "identifier")):
            raise forms.ValidationError("Enter a name, birth date or identifier to search.", code="empty")
        return data

    def query(self) -> dict[str, str]:
        """The search as recorded in the audit trail."""
        birth_date = self.cleaned_data.get("birth_date")
        return {
            "q": self.cleaned_data.get("q", ""),
            "birth_date": birth_date.isoformat() if birth_date else "",
            "identifier": self.cleaned_data.get("identifier", ""),
        }


class ClientForm(forms.ModelForm):
    """The client's own facts, as the create and edit pages take them."""

    class Meta:
        model = Client
        fields = list(CLIENT_FIELDS)
        widgets = {"birth_date": DATE_WIDGET}
        labels = {"address_line": "Address", "interpreter_needed": "Needs an interpreter"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        for name in ("given_name", "family_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean_birth_date(self):
        return validate_birth_date(self.cleaned_data["birth_date"])

    def clean(self):
        data = super().clean()
        missing = missing_contact_detail(data.get("preferred_contact_method"), data)
        if missing and missing[0] not in self.errors:
            self.add_error(*missing)
        return data

    def client_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in CLIENT_FIELDS}


class ClientCreateForm(ClientForm):
    identifier_system = forms.ChoiceField(
        label="Identifier type", required=False, choices=[("", "No identifier"), *IdentifierSystem.choices]
    )
    identifier_value = forms.CharField(label="Identifier", required=False, max_length=64)
    allow_duplicate = forms.BooleanField(label="This is a different person: create a new record anyway", required=False)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = list(organizations)
        # Only people who add clients for several organizations are asked which one.
        if len(self.organizations) > 1:
            self.fields["organization"] = forms.ModelChoiceField(
                queryset=organizations, label="Owning organization", empty_label="Choose an organization"
            )

    def clean(self):
        data = super().clean()
        system, value = data.get("identifier_system"), (data.get("identifier_value") or "").strip()
        if system and not value:
            self.add_error("identifier_value", "Enter the identifier, or choose no identifier type.")
        if value and not system:
            self.add_error("identifier_system", "Choose what kind of identifier this is.")
        return data

    def owning_organization(self):
        if "organization" in self.fields:
            return self.cleaned_data["organization"]
        return self.organizations[0]

    def identifiers(self) -> list[dict[str, str]]:
        system, value = self.cleaned_data["identifier_system"], self.cleaned_data["identifier_value"].strip()
        return [{"system": system, "value": value}] if system and value else []
