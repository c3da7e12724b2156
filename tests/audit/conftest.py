"""Fixtures for the audit-coverage test: the objects its recipes read, all about one county client."""

from __future__ import annotations

import datetime
from functools import cached_property

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.choices import AuditAction
from audit.services import audit_record
from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import ServiceFactory, UserFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class CoverageWorld:
    """Built on first use, so each recipe pays only for what it reads.

    Everything concerns `person` (the cast's `county_client`, Maria Lopez): the county refers her to the
    provider; `other_provider` has no business with her.
    """

    def __init__(self, request):
        self._request = request

    def user(self, name: str):
        return self._request.getfixturevalue(name)

    @cached_property
    def person(self):
        person = self.user("county_client")
        # `full_consent` leaves the recorder empty, which the consent pages cannot render
        # (test_consent_page__renders_a_consent_whose_recorder_is_gone); record it as the case manager would.
        for consent in person.consents.filter(recorded_by=None):
            consent.recorded_by = self.user("case_manager")
            consent.save(update_fields=["recorded_by"])
        return person

    @cached_property
    def consent(self):
        return self.person.consents.order_by("created_at").first()

    def _referral(self, status: str):
        return self.user("make_referral")(status)

    @cached_property
    def referral(self):
        """Sent to the provider, so both sides see it."""
        return self._referral("sent")

    @cached_property
    def draft(self):
        return self._referral("draft")

    @cached_property
    def declined(self):
        return self._referral("declined")

    @cached_property
    def second_service(self):
        """Another food service at the provider, to reroute a declined referral to."""
        return ServiceFactory(organization=self.user("provider"), name="Harbor Meals", postal_codes=["97401"])

    @cached_property
    def signed_consent(self):
        from consent.services import consent_record

        return consent_record(
            actor=self.user("case_manager"),
            client=self.person,
            method="written",
            date=timezone.localdate() - datetime.timedelta(days=2),
            status="active",
            provisions=[
                {
                    "type": "permit",
                    "partner_categories": ["healthcare"],
                    "organizations": [],
                    "purposes": ["COC"],
                    "data_categories": ["contact"],
                    "start": timezone.localdate() - datetime.timedelta(days=2),
                    "end": None,
                }
            ],
            signed_form=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
        )

    @cached_property
    def exception(self):
        """An item for the county's data stewards about the sent referral (so about Maria)."""
        from exceptionqueue.services import exception_raise

        return exception_raise(
            kind="validation-rejected",
            summary="Referral template rejected: postal code outside the county",
            owner_organization=self.user("county"),
            owner_role=Role.DATA_STEWARD,
            concerning=self.referral,
        )

    @cached_property
    def break_glass(self):
        """The provider's intake worker's emergency access to Maria's withheld data."""
        from consent.break_glass import break_glass_start

        self.referral  # noqa: B018 - the worker must see a referral for her first
        return break_glass_start(
            actor=self.user("provider_intake"),
            client=self.person,
            reason="Client in crisis at the shelter, needs contact now.",
            minutes=60,
        )

    @cached_property
    def sample_item(self):
        """One drawn access event (the case manager reading Maria's record) for governance to review."""
        from governance.services import sample_draw

        audit_record(
            action=AuditAction.CLIENT_VIEWED,
            actor=self.user("case_manager"),
            target=self.person,
            client_id=self.person.pk,
        )
        lead = self.user("governance_lead")
        today = timezone.localdate()
        sample = sample_draw(
            actor=lead, period_start=today - datetime.timedelta(days=1), period_end=today, size=1, reviewer=lead
        )
        return sample.items.get()

    @staticmethod
    def latest_version(obj) -> int:
        return obj.history.order_by("-history_date", "-history_id").first().history_id


@pytest.fixture
def coverage_world(request, db):
    return CoverageWorld(request)


@pytest.fixture
def other_governance_lead(other_provider):
    """A governance lead at `other_provider`: gets past the admin's gate, but not to the county's clients."""
    user = UserFactory(username="othergov", is_staff=True)
    membership_grant(actor=None, user=user, organization=other_provider, role=Role.GOVERNANCE_LEAD)
    return user
