"""A constructed set of referrals with every timestamp set by hand, for hand-checked performance numbers.

Period: Monday 2026-02-02 to Sunday 2026-02-15 (portal time, PST: no daylight-saving change inside), read
at NOW = Friday 2026-02-20 12:00. Every referral is driven through the real workflow service
(`referral_transition(now=...)`); each is due to be acknowledged 24 hours after sending (set explicitly, so
the expectations do not depend on the SLA calendar). "P" is the county's food service at Harbor (`provider`),
"N" a housing service at Northside (`other_provider`).

ref  sent (local)     what happened                                                   status now
R1   Mon 02 09:00  P  ack +1h, accept +3h, contact +24h, service +72h, closed        closed (service-completed)
                      (service-completed) Feb 10
R2   Tue 03 09:00  P  ack +2h, declined (no-capacity) +6h                            declined, acknowledged first
R3   Wed 04 09:00  P  declined (not-eligible) +4h, never acknowledged                declined before acknowledgement
R4   Thu 05 09:00  P  accepted +28h (late: due +24h), contact +48h                   in progress
R5   Mon 09 09:00  P  nothing                                                        sent
R6   Tue 10 09:00  P  ack +4h, cancelled by the county (client-request) +24h         cancelled
R7   Wed 11 09:00  P  ack +24h (exactly at the due time), accept, contact +48h,      in progress
                      service +120h (Feb 16, after the period: still counted)
R8   Thu 12 09:00  P  accept +1h, contact +6h, closed (unable-to-contact) Feb 14     closed (unable-to-contact)
R9   Fri 13 09:00  P  declined (no-capacity) +1h, never acknowledged                 declined before acknowledgement
R10  Fri 13 12:00  N  urgent housing need; ack +2h                                   acknowledged
R11  Sun 15 23:30  P  nothing (the period's last half hour)                          sent
Outside the numbers: X1 sent Fri Jan 30 (before), X2 sent Mon Feb 16 00:00 (the first instant after),
X3 a draft never sent, X4 sent Feb 5 and marked entered in error.
SLA breaches: R4 acknowledge and service start, R5 acknowledge and first contact, X1 acknowledge.
Exceptions: R3 (wrong routing), R5 twice (SLA breach, possible duplicate), X1, and one about no referral.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from coordination.roles import Role
from exceptionqueue.services import exception_raise
from referrals.models import Referral
from referrals.services import referral_transition
from sla.models import SlaBreach
from tests.conftest import _staff
from tests.factories import ClientFactory, ReferralFactory, ServiceFactory, full_consent

TZ = ZoneInfo("America/Los_Angeles")
NOW = datetime.datetime(2026, 2, 20, 12, 0, tzinfo=TZ)
PERIOD = {"since": "2026-02-02", "until": "2026-02-15"}
H = datetime.timedelta(hours=1)


def local(day: int, hour: int, minute: int = 0, month: int = 2) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def other_service(other_provider):
    return ServiceFactory(organization=other_provider, name="Northside Housing Help", category="housing-instability")


@pytest.fixture
def other_provider_supervisor(other_provider):
    return _staff("othersup", other_provider, Role.PROVIDER_SUPERVISOR)


@pytest.fixture
def build(county, case_manager, provider_intake, other_provider_intake, county_supervisor, service):
    """`build(sent, steps, service=..., urgency=...)`: a county referral sent at `sent`, then each
    `(transition, at, inputs)` step as the side that owns it; acknowledgement due 24 hours after sending."""

    receivers = {service.organization_id: provider_intake}

    def make(sent=None, steps=(), *, to=None, urgency="routine", ack_due=None) -> Referral:
        to = to or service
        receiver = receivers.get(to.organization_id, other_provider_intake)
        client = ClientFactory(organization=county)
        full_consent(client)
        referral = ReferralFactory(
            client=client, service=to, created_by=case_manager, assigned_to=case_manager, urgency=urgency
        )
        if sent is None:
            return referral  # a draft
        # Confirms the rules' warnings as a sender would (referrals/validation): these tests are about numbers.
        referral = referral_transition(
            actor=case_manager, referral=referral, name="submit", now=sent, confirm_warnings=True
        )
        Referral.objects.filter(pk=referral.pk).update(
            acknowledge_due_at=ack_due or sent + 24 * H,
            first_contact_due_at=sent + 72 * H,
            service_start_due_at=sent + 240 * H,
        )
        for name, at, inputs in steps:
            actor = {"cancel": case_manager, "mark_entered_in_error": county_supervisor}.get(name, receiver)
            referral = referral_transition(actor=actor, referral=referral, name=name, now=at, **inputs)
        referral.refresh_from_db()
        return referral

    return make


def contact(at):
    return ("record_contact_attempt", at, {"contact_result": "reached"})


@pytest.fixture
def network(build, other_service, county):
    """The referrals of the module docstring, by name."""
    r = {}
    r["R1"] = build(
        local(2, 9),
        [
            ("acknowledge", local(2, 10), {}),
            ("accept", local(2, 12), {}),
            contact(local(3, 9)),
            ("start_service", local(5, 9), {}),
            ("close", local(10, 9), {"outcome_code": "service-completed"}),
        ],
    )
    r["R2"] = build(
        local(3, 9), [("acknowledge", local(3, 11), {}), ("decline", local(3, 15), {"reason_code": "no-capacity"})]
    )
    r["R3"] = build(local(4, 9), [("decline", local(4, 13), {"reason_code": "not-eligible"})])
    r["R4"] = build(local(5, 9), [("accept", local(6, 13), {}), contact(local(7, 9))])
    r["R5"] = build(local(9, 9))
    r["R6"] = build(
        local(10, 9), [("acknowledge", local(10, 13), {}), ("cancel", local(11, 9), {"reason_code": "client-request"})]
    )
    r["R7"] = build(
        local(11, 9),
        [
            ("acknowledge", local(12, 9), {}),
            ("accept", local(12, 10), {}),
            contact(local(13, 9)),
            ("start_service", local(16, 9), {}),
        ],
    )
    r["R8"] = build(
        local(12, 9),
        [
            ("accept", local(12, 10), {}),
            contact(local(12, 15)),
            ("close", local(14, 9), {"outcome_code": "unable-to-contact"}),
        ],
    )
    r["R9"] = build(local(13, 9), [("decline", local(13, 10), {"reason_code": "no-capacity"})])
    r["R10"] = build(local(13, 12), [("acknowledge", local(13, 14), {})], to=other_service, urgency="urgent")
    r["R11"] = build(local(15, 23, 30))
    r["X1"] = build(local(30, 9, month=1), [("accept", local(30, 10, month=1), {})])
    r["X2"] = build(local(16, 0))
    r["X3"] = build(None)
    r["X4"] = build(local(5, 9), [("mark_entered_in_error", local(6, 9), {"note": "Wrong client chosen."})])

    for name, stage in (
        ("R4", "acknowledge"),
        ("R4", "service_start"),
        ("R5", "acknowledge"),
        ("R5", "first_contact"),
        ("X1", "acknowledge"),
    ):
        referral = r[name]
        due = {
            "acknowledge": referral.acknowledge_due_at,
            "first_contact": referral.first_contact_due_at,
            "service_start": referral.service_start_due_at,
        }[stage]
        SlaBreach.objects.create(referral=referral, stage=stage, due_at=due, breached_at=due + H)

    def raise_about(referral, kind):
        return exception_raise(
            kind=kind,
            summary=f"{kind} about a referral",
            owner_organization=county,
            owner_role=Role.DATA_STEWARD,
            concerning=referral,
            dedupe_key=f"{kind}:{referral.pk}" if referral else "",
        )

    raise_about(r["R3"], "wrong-routing")
    raise_about(r["R5"], "sla-breach")
    raise_about(r["R5"], "duplicate-referral")
    raise_about(r["X1"], "wrong-routing")
    exception_raise(
        kind="partner-downtime", summary="Partner down", owner_organization=county, owner_role=Role.COUNTY_SUPERVISOR
    )
    return r
