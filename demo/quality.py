"""Demo data quality history, so the quality page and the weekly report have weeks to show.

Refused sends of the last four weeks are recorded through the real counting service (`rejection_record`), as
the rule set would have refused them; then last week's reports are issued as the Monday task would. Told once:
nothing is added while any refused send is on record.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients.models import Client
from providers.models import Organization
from quality.models import ValidationRejection
from quality.rejections import rejection_record
from quality.weekly import weekly_reports_issue
from referrals.validation.codes import Problem, Rule

# (days ago, sender, channel, [(field, rule)]): casemanager2 keeps sending without the client's postal code.
REFUSED_SENDS = [
    (26, "casemanager2", "page", [("client.postal_code", Rule.REQUIRED)]),
    (24, "casemanager2", "page", [("client.postal_code", Rule.UNKNOWN_POSTAL_CODE)]),
    (23, "casemanager", "page", [("eligibility_basis", Rule.REQUIRED)]),
    (19, "casemanager2", "page", [("client.postal_code", Rule.REQUIRED), ("contact_method", Rule.REQUIRED)]),
    (18, "casemanager2", "api", [("contact_method", Rule.CONTACT_WITHOUT_DETAIL)]),
    (16, "casemanager", "page", [("service", Rule.OUTSIDE_SERVICE_AREA)]),
    (12, "casemanager2", "page", [("client.address_line", Rule.REQUIRED)]),
    (11, "casemanager2", "page", [("client.phone", Rule.INVALID_PHONE)]),
    (9, "casemanager", "page", [("language", Rule.INTERPRETER_WITHOUT_LANGUAGE)]),
    (5, "casemanager2", "page", [("client.postal_code", Rule.UNKNOWN_POSTAL_CODE)]),
    (4, "casemanager2", "page", [("service", Rule.AGE_OUTSIDE_SERVICE_RANGE)]),
    (2, "casemanager", "api", [("eligibility_basis", Rule.REQUIRED)]),
]


def seed_quality(county: Organization, users: dict) -> int:
    """Record the demo's refused sends and issue last week's reports; the number of refused sends recorded."""
    if ValidationRejection.objects.exists():
        return 0
    now = timezone.now()
    clients = list(Client.objects.filter(organization=county).order_by("family_name", "given_name")[:6])
    for number, (days_ago, sender, channel, problems) in enumerate(REFUSED_SENDS):
        rejection_record(
            actor=users[sender],
            organization_id=county.pk,
            referral_id=None,
            client_id=clients[number % len(clients)].pk,
            channel=channel,
            problems=[Problem(field=field, code=str(rule), message=rule.label) for field, rule in problems],
            occurred_at=now - datetime.timedelta(days=days_ago, hours=number % 5),
        )
    weekly_reports_issue(now=now)
    return len(REFUSED_SENDS)
