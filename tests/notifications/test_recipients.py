"""Who is told about referral events, in the portal and by email: the two organizations' right people only."""

from __future__ import annotations

import pytest
from django.core import mail

from coordination.models import OutboxMessage
from coordination.outbox import outbox_enqueue, outbox_process_message
from notifications.models import Notification, NotificationEmail
from providers.models import Membership
from providers.services import membership_revoke
from referrals.assignment import referral_assign_worker
from referrals.services import referral_create, referral_transition
from tests.referrals.support import inputs_for


def _told(event: str | None = None) -> list[str]:
    rows = Notification.objects.all()
    if event:
        rows = rows.filter(event=event)
    return sorted(rows.values_list("recipient__username", flat=True))


def _emailed() -> list[str]:
    return sorted(address for email in mail.outbox for address in email.to)


@pytest.fixture
def cast(case_manager, county_supervisor, provider_intake, provider_supervisor, other_provider_intake, partner_system):
    """Everyone who might wrongly be told: the other provider, the county supervisor, the partner system."""
    return locals()


def test_sent__told_to_receiving_intake_and_supervisors_not_the_sender(cast, county_client, service, delivered):
    data = {"category": "food-insecurity", "reason": "Needs groceries this month.", "eligibility_basis": ["income"]}
    with delivered():
        referral = referral_create(
            actor=cast["case_manager"], client=county_client, data=data, service=service, submit=True
        )
    assert _told("referral.sent") == ["intake", "provsup"]
    notification = Notification.objects.filter(recipient=cast["provider_intake"]).get()
    assert notification.referral_id == referral.pk and notification.client_id == county_client.pk
    assert notification.text == (
        f"Referral {referral.reference} was sent to Harbor Community Health by Lakeside County Human Services."
    )
    assert _emailed() == ["intake@example.org", "provsup@example.org"]


def test_accepted__told_to_the_case_manager_and_receiving_staff_not_the_actor(cast, make_referral, delivered):
    referral = make_referral("sent")
    with delivered():
        referral_transition(actor=cast["provider_intake"], referral=referral, name="accept")
    assert _told() == ["cm", "provsup"]
    assert set(Notification.objects.values_list("text", flat=True)) == {
        f"Referral {referral.reference} was accepted by Harbor Community Health."
    }
    assert _emailed() == ["cm@example.org", "provsup@example.org"]


@pytest.mark.parametrize("name", ["record_contact_attempt", "schedule", "start_service", "hold", "close"])
def test_other_transitions__status_changed_to_the_same_people(cast, make_referral, delivered, name):
    referral = make_referral("accepted")
    with delivered():
        referral_transition(actor=cast["provider_intake"], referral=referral, name=name, **inputs_for(name))
    assert _told("referral.status_changed") == ["cm", "provsup"]
    referral.refresh_from_db()
    assert f"is now {referral.get_status_display().lower()}" in Notification.objects.first().text


def test_cancelled_draft__the_receiving_side_never_hears_of_it(cast, make_referral, delivered, county):
    referral = make_referral("draft")
    with delivered():
        referral_transition(actor=cast["county_supervisor"], referral=referral, name="cancel", **inputs_for("cancel"))
    # The case manager hears (not the supervisor who acted); the provider never saw the draft.
    assert _told() == ["cm"]


def test_cancelled_after_sending__the_receiving_side_is_told(cast, make_referral, delivered):
    referral = make_referral("sent")
    with delivered():
        referral_transition(actor=cast["case_manager"], referral=referral, name="cancel", **inputs_for("cancel"))
    assert _told("referral.status_changed") == ["intake", "provsup"]


def test_assigned_worker__told_while_a_member_not_after_leaving(
    cast, make_referral, delivered, provider_worker, provider
):
    referral = make_referral("accepted")
    referral_assign_worker(actor=cast["provider_supervisor"], referral=referral, worker=provider_worker)
    with delivered():
        referral_transition(actor=cast["case_manager"], referral=referral, name="cancel", **inputs_for("cancel"))
    assert _told() == ["intake", "provsup", "worker"]

    Notification.objects.all().delete()
    membership_revoke(actor=None, membership=Membership.objects.get(user=provider_worker))
    second = OutboxMessage.objects.get(event="referral.status_changed")
    OutboxMessage.objects.filter(pk=second.pk).update(processed_at=None)
    outbox_process_message(message_id=second.pk)
    assert "worker" not in _told()


def test_explicit_user_ids__honored_but_never_outside_the_two_organizations(cast, make_referral, delivered):
    referral = make_referral("sent")
    user_ids = [cast[name].pk for name in ("county_supervisor", "provider_supervisor", "other_provider_intake")]
    with delivered():
        outbox_enqueue(
            "referral.escalated",
            subject=referral,
            data={"referral_id": str(referral.pk), "stage": "acknowledge", "level": 2, "user_ids": user_ids},
        )
    assert _told() == ["provsup", "sup"]
    assert Notification.objects.first().text == (
        f"Referral {referral.reference} to Harbor Community Health was escalated (level 2)."
    )


def test_sla_breach_on_a_draft__no_receiving_staff_even_if_named(cast, make_referral, delivered):
    referral = make_referral("draft")
    with delivered():
        outbox_enqueue(
            "referral.sla_breached",
            subject=referral,
            data={
                "referral_id": str(referral.pk),
                "stage": "acknowledge",
                "level": 1,
                "user_ids": [cast["provider_intake"].pk, cast["case_manager"].pk],
            },
        )
    assert _told() == ["cm"]
    assert Notification.objects.get().text.endswith("missed its acknowledge target.")


def test_no_one_outside_the_two_organizations_ever(cast, make_referral, delivered):
    """Across a whole referral life, the other provider, partner systems and uninvolved staff hear nothing."""
    referral = make_referral("draft")
    steps = [("submit", "case_manager"), ("acknowledge", "provider_intake"), ("accept", "provider_intake")]
    steps += [("start_service", "provider_supervisor"), ("close", "provider_intake")]
    with delivered():
        for name, who in steps:
            referral = referral_transition(actor=cast[who], referral=referral, name=name, **inputs_for(name))
    told = set(_told())
    assert told <= {"cm", "intake", "provsup"}
    assert not told & {"otherintake", "harbor-ehr", "sup"}
    assert set(_emailed()) <= {"cm@example.org", "intake@example.org", "provsup@example.org"}
    assert Notification.objects.count() == NotificationEmail.objects.count() == len(mail.outbox)


def test_processing_twice__no_duplicate_notification_or_email(cast, make_referral, delivered):
    referral = make_referral("sent")
    with delivered():
        referral_transition(actor=cast["provider_intake"], referral=referral, name="accept")
    message = OutboxMessage.objects.get(event="referral.accepted")
    before = (Notification.objects.count(), len(mail.outbox))
    OutboxMessage.objects.filter(pk=message.pk).update(processed_at=None)  # as if handed over twice
    with delivered():
        assert outbox_process_message(message_id=message.pk) is True
    assert (Notification.objects.count(), len(mail.outbox)) == before == (2, 2)


def test_users_without_email__in_portal_only(cast, make_referral, delivered):
    cast["provider_supervisor"].email = ""
    cast["provider_supervisor"].save()
    referral = make_referral("sent")
    with delivered():
        referral_transition(actor=cast["provider_intake"], referral=referral, name="accept")
    assert _told() == ["cm", "provsup"]
    assert _emailed() == ["cm@example.org"]


def test_inactive_users__not_told(cast, make_referral, delivered):
    referral = make_referral("sent")
    cast["case_manager"].is_active = False
    cast["case_manager"].save()
    with delivered():
        referral_transition(actor=cast["provider_intake"], referral=referral, name="accept")
    assert _told() == ["provsup"]
