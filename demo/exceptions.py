"""Demo exceptions, so the queue has work in it: raised and worked through the real services.

Each story has a `demo:` dedupe key; a story whose key exists (in any status) is not told again.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients.models import Client
from exceptionqueue.models import ExceptionItem
from exceptionqueue.services import exception_raise, exception_transition
from providers.models import Organization
from referrals.models import Referral

# key, kind, severity, (owner org, owner role), raised hours ago, concerning, summary, detail, steps
STORIES = [
    {
        "key": "postal-code",
        "kind": "validation-rejected",
        "severity": "medium",
        "owner": ("lakeside-county", "data_steward"),
        "raised": -40,
        "summary": "Referral rejected: postal code 97999 is not a Lakeside County postal code",
        "detail": {"field": "postal_code", "code": "postal-code-unknown", "sender": "casemanager2"},
        "steps": [],
    },
    {
        "key": "duplicate-client",
        "kind": "duplicate-client",
        "severity": "high",
        "owner": ("lakeside-county", "data_steward"),
        "raised": -30,  # a day's target: overdue
        "concerning": ("client", "LC-100871"),
        "summary": "Possible duplicate client: same birth date and phone as another record",
        "detail": {"match_fields": ["birth_date", "phone"], "score": 0.91},
        "steps": [],
    },
    {
        "key": "consent-conflict",
        "kind": "consent-conflict",
        "severity": "medium",
        "owner": ("lakeside-county", "data_steward"),
        "raised": -20,
        "concerning": ("client", "LC-100234"),
        "summary": "Two consents on file disagree about sharing with behavioral-health partners",
        "detail": {"partner_category": "behavioral-health"},
        "steps": [("start", "datasteward", -2, "")],
    },
    {
        "key": "harbor-ehr-down",
        "kind": "partner-downtime",
        "severity": "critical",
        "owner": ("harbor-health", "provider_supervisor"),
        "raised": -1,
        "summary": "Harbor EHR inbound endpoint not responding (5 failed deliveries)",
        "detail": {"failed_attempts": 5, "last_error": "HTTP 503"},
        "steps": [],
    },
    {
        "key": "hl7-rejected",
        "kind": "inbound-message-rejected",
        "severity": "low",
        "owner": ("harbor-health", "provider_supervisor"),
        "raised": -60,
        "summary": "Inbound HL7 REF^I12 rejected: missing PID-3 identifier",
        "detail": {"message_type": "REF^I12", "segment": "PID-3"},
        "steps": [("resolve", "harborlead", -50, "EHR interface mapping fixed; the partner resent the message.")],
    },
    {
        "key": "wrong-routing",
        "kind": "wrong-routing",
        "severity": "medium",
        "owner": ("lakeside-county", "county_supervisor"),
        "raised": -70,
        "concerning": ("referral", "LC-102288"),
        "summary": "Eviction referral may belong with the tenant legal aid line instead",
        "detail": {"suggested_category": "legal"},
        "steps": [("dismiss", "supervisor", -65, "Routing was right: rental assistance comes first here.")],
    },
]


def _concerning(county: Organization, spec):
    if spec is None:
        return None
    kind, identifier = spec
    client = Client.objects.filter(
        organization=county, identifiers__system="county-case-number", identifiers__value=identifier
    ).first()
    if kind == "client" or client is None:
        return client
    return Referral.objects.filter(client=client).order_by("created_at").first()


def seed_exceptions(organizations: dict[str, Organization], users: dict) -> int:
    now = timezone.now()
    county = organizations["lakeside-county"]
    told = 0
    for story in STORIES:
        key = f"demo:{story['key']}"
        if ExceptionItem.objects.filter(dedupe_key=key).exists():
            continue
        org_slug, role = story["owner"]
        item = exception_raise(
            kind=story["kind"],
            summary=story["summary"],
            owner_organization=organizations[org_slug],
            owner_role=role,
            severity=story["severity"],
            concerning=_concerning(county, story.get("concerning")),
            detail=story["detail"],
            dedupe_key=key,
            now=now + datetime.timedelta(hours=story["raised"]),
        )
        for name, by, at, note in story["steps"]:
            item = exception_transition(
                actor=users[by], item=item, name=name, note=note, now=now + datetime.timedelta(hours=at)
            )
        told += 1
    return told
