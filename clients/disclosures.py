"""Who may read a client's disclosure report, and its filters; the report itself is `audit.report`.

Governance leads (who read the whole audit trail) and the staff of the client's custodian organization who
hold `clients.view_client_disclosures` (case managers, supervisors, data stewards) may read it. A provider
that merely received the client's data does not see the client record at all, so the report answers 404
like a missing client; partner systems and other roles at the custodian get 403. Every refusal is audited.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.ledger import DisclosureEntry, disclosures_record
from audit.models import AuditEvent, DisclosureKind
from audit.report import KIND_CHOICES, ClientDisclosureReport
from audit.services import audit_hidden_object, audit_record
from coordination.access import Action
from coordination.purpose import PurposeOfUse
from providers.access import holds_permission

from .models import Client

REPORT_PERMISSION = "clients.view_client_disclosures"
GOVERNANCE_PERMISSION = "audit.view_auditevent"
REFUSED = (
    "Only governance leads and the case managers, supervisors and data stewards of the client's own "
    "organization may read its disclosure report."
)


class ReportNotAllowed(Exception):
    """The client is visible to the actor, but its disclosure report is not."""


def report_client_get(*, actor, client_id) -> Client:
    """The client whose report `actor` asks for; `Client.DoesNotExist` (audited) when they cannot see it."""
    try:
        return Client.objects.visible_to(actor, Action.VIEW).select_related("organization").get(pk=client_id)
    except (Client.DoesNotExist, ValueError, TypeError, forms.ValidationError):
        audit_hidden_object(Client, pk=client_id)
        raise Client.DoesNotExist("No such client.") from None


def may_read_report(actor, client: Client) -> bool:
    return holds_permission(actor, GOVERNANCE_PERMISSION) or holds_permission(
        actor, REPORT_PERMISSION, client.organization
    )


def report_check(*, actor, client: Client) -> None:
    """Raise `ReportNotAllowed` (and audit the refusal) unless `actor` may read this client's report."""
    if may_read_report(actor, client):
        return
    audit_record(
        action=AuditAction.DISCLOSURE_REPORT_VIEWED,
        actor=actor,
        client_id=client.pk,
        outcome=Outcome.DENIED,
        outcome_reason="role may not read the disclosure report",
    )
    raise ReportNotAllowed(REFUSED)


class DisclosureReportFilterForm(forms.Form):
    """since / until (a date, or a date and time; a date `until` includes that day) and kind."""

    since = forms.CharField(required=False, help_text="From this date or time (ISO 8601).")
    until = forms.CharField(required=False, help_text="Up to this date (inclusive) or time (exclusive).")
    kind = forms.ChoiceField(required=False, choices=[("", "Everything"), *KIND_CHOICES])

    def clean_since(self):
        return parse_moment(self.cleaned_data.get("since"), end_of_day=False)

    def clean_until(self):
        return parse_moment(self.cleaned_data.get("until"), end_of_day=True)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            self.add_error("until", "Give an end after the start.")
        return cleaned

    def report(self, client: Client) -> ClientDisclosureReport:
        data = self.cleaned_data if self.is_valid() else {}
        return ClientDisclosureReport(
            client_id=client.pk, since=data.get("since"), until=data.get("until"), kind=data.get("kind") or ""
        )


def parse_moment(value: str | None, *, end_of_day: bool) -> datetime.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise forms.ValidationError("Give a date (2026-01-31) or an ISO 8601 date and time.") from None
    if len(value) == 10 and end_of_day:  # a plain date: up to the end of that day
        moment += datetime.timedelta(days=1)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def notification_disclosed(
    *, client_id, recipient_organization, description: str, target=None, purpose_of_use: str = PurposeOfUse.COC
) -> AuditEvent | None:
    """A notification naming the client reached `recipient_organization` (a partner webhook that succeeded).

    Sent to the client's own organization it discloses nothing; sent anywhere else it is audited and added to
    the ledger, in the caller's transaction. A system path (no user asks): the custodian is read directly.
    """
    custodian_id = Client._base_manager.filter(pk=client_id).values_list("organization_id", flat=True).first()
    if custodian_id is None or custodian_id == recipient_organization.pk:
        return None
    event = audit_record(
        action=AuditAction.PARTNER_NOTIFIED,
        client_id=client_id,
        target=target,
        purpose_of_use=purpose_of_use,
        detail={"recipient_organization": str(recipient_organization.pk), "description": description[:200]},
    )
    disclosures_record(
        event=event,
        kind=DisclosureKind.NOTIFICATION,
        recipient_organization=recipient_organization,
        entries=[
            DisclosureEntry(client_id=client_id, description=description, target=target, custodian_id=custodian_id)
        ],
    )
    return event
