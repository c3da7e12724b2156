"""exception_raise, exception_transition, exception_assign: behaviour, rules and audit events."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEvent
from coordination.roles import Role
from exceptionqueue.errors import ExceptionNotFound, InvalidInput, NotAllowed, TransitionConflict
from exceptionqueue.models import ExceptionEvent, ExceptionItem
from exceptionqueue.services import exception_assign, exception_transition

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def audit_rows(action, item):
    return AuditEvent.objects.filter(action=action, target_id=str(item.pk))


# -- raise -----------------------------------------------------------------------------------------


def test_raise__opens_item_with_event_and_audit(raise_exception, county):
    item = raise_exception(detail={"field": "postal_code"})
    assert item.status == "open"
    assert item.owner_organization == county
    assert item.owner_role == Role.DATA_STEWARD
    assert item.detail == {"field": "postal_code"}
    assert list(item.events.values_list("name", "to_status")) == [("raised", "open")]
    row = audit_rows("exception.raised", item).get()
    assert row.subtype == "validation-rejected"
    assert row.detail["owner_role"] == "data_steward"


def test_raise__concerning_referral_links_referral_and_client_without_copying_names(raise_exception, make_referral):
    referral = make_referral("sent")
    item = raise_exception(kind="sla-breach", concerning=referral)
    assert item.referral_id == referral.pk
    assert item.client_id == referral.client_id
    assert item.concerning_type == "referrals.Referral"
    assert item.concerning_id == str(referral.pk)
    assert referral.reference in item.concerning_repr
    assert "Maria" not in item.concerning_repr and "Lopez" not in item.concerning_repr
    assert audit_rows("exception.raised", item).get().client_id == referral.client_id


def test_raise__concerning_client_shows_reference_not_name(raise_exception, county_client):
    item = raise_exception(kind="duplicate-client", concerning=county_client)
    assert item.client_id == county_client.pk
    assert item.referral_id is None
    assert "Maria" not in item.concerning_repr and "Lopez" not in item.concerning_repr


def test_raise__same_dedupe_key_returns_the_open_item(raise_exception):
    first = raise_exception(dedupe_key="partner:harbor")
    second = raise_exception(dedupe_key="partner:harbor", summary="again")
    assert second.pk == first.pk
    assert ExceptionItem.objects.filter(dedupe_key="partner:harbor").count() == 1
    assert AuditEvent.objects.filter(action="exception.raised").count() == 1


def test_raise__dedupe_key_returns_item_in_progress(raise_exception, data_steward):
    first = raise_exception(dedupe_key="k1")
    exception_transition(actor=data_steward, item=first, name="start")
    assert raise_exception(dedupe_key="k1").pk == first.pk


def test_raise__after_resolve_same_key_opens_a_new_item(raise_exception, data_steward):
    first = raise_exception(dedupe_key="k2")
    exception_transition(actor=data_steward, item=first, name="resolve", note="Fixed the address")
    second = raise_exception(dedupe_key="k2")
    assert second.pk != first.pk
    assert second.status == "open"


def test_raise__without_key_always_opens_new(raise_exception):
    assert raise_exception().pk != raise_exception().pk


@pytest.mark.parametrize(
    ("severity", "after"),
    [
        ("critical", timedelta(hours=4)),
        ("high", timedelta(days=1)),
        ("medium", timedelta(days=3)),
        ("low", timedelta(days=7)),
    ],
)
def test_raise__due_time_by_severity(raise_exception, severity, after):
    with time_machine.travel(NOW, tick=False):
        item = raise_exception(severity=severity)
    assert item.due_at == NOW + after
    assert item.next_escalation_at == item.due_at


@override_settings(EXCEPTION_QUEUE_DUE_HOURS={"critical": 1})
def test_raise__due_time_follows_setting(raise_exception):
    with time_machine.travel(NOW, tick=False):
        assert raise_exception(severity="critical").due_at == NOW + timedelta(hours=1)
        assert raise_exception(severity="low").due_at == NOW + timedelta(days=7)


@pytest.mark.parametrize(
    "bad", [{"kind": "nonsense"}, {"severity": "urgent"}, {"owner_role": "janitor"}, {"owner_organization": None}]
)
def test_raise__refuses_unknown_values(raise_exception, bad):
    with pytest.raises(InvalidInput):
        raise_exception(**bad)
    assert not ExceptionItem.objects.exists()


# -- transitions -----------------------------------------------------------------------------------


def test_start__moves_to_in_progress_and_assigns_the_worker(county_item, data_steward):
    item = exception_transition(actor=data_steward, item=county_item, name="start")
    assert item.status == "in_progress"
    assert item.assigned_to == data_steward
    assert item.version == 2
    row = audit_rows("exception.transitioned", item).get()
    assert row.subtype == "start"
    assert row.actor == data_steward
    assert row.detail == {"from": "open", "to": "in_progress", "note_given": False}


def test_resolve__records_who_when_and_how(county_item, data_steward):
    with time_machine.travel(NOW, tick=False):
        item = exception_transition(actor=data_steward, item=county_item, name="resolve", note="Corrected postal code")
    item.refresh_from_db()
    assert (item.status, item.resolved_by, item.resolved_at) == ("resolved", data_steward, NOW)
    assert item.resolution_note == "Corrected postal code"
    assert item.next_escalation_at is None
    event = item.events.get(name="resolve")
    assert (event.from_status, event.to_status, event.note, event.actor) == (
        "open",
        "resolved",
        "Corrected postal code",
        data_steward,
    )
    assert audit_rows("exception.transitioned", item).get().subtype == "resolve"


@pytest.mark.parametrize("name", ["resolve", "dismiss"])
def test_close__without_note_is_refused(county_item, data_steward, name):
    with pytest.raises(InvalidInput, match="note is required"):
        exception_transition(actor=data_steward, item=county_item, name=name, note="   ")
    county_item.refresh_from_db()
    assert county_item.status == "open"
    assert not audit_rows("exception.transitioned", county_item).exists()


def test_dismiss__then_reopen_gives_fresh_due_time(county_item, data_steward):
    exception_transition(actor=data_steward, item=county_item, name="dismiss", note="Not an error: test data")
    later = timezone.now() + timedelta(days=10)
    with time_machine.travel(later, tick=False):
        item = exception_transition(actor=data_steward, item=county_item, name="reopen")
    assert item.status == "open"
    assert (item.resolution_note, item.resolved_by, item.resolved_at) == ("", None, None)
    assert item.due_at == later + timedelta(days=3)
    assert item.escalation_level == 0
    assert item.next_escalation_at == item.due_at
    assert [e.name for e in item.events.all()] == ["raised", "dismiss", "reopen"]


@pytest.mark.parametrize(
    ("setup", "name"),
    [
        ([], "reopen"),
        (["start"], "start"),
        ([("resolve", "done")], "resolve"),
        ([("resolve", "done")], "start"),
        ([("dismiss", "dup")], "dismiss"),
    ],
)
def test_transition__from_wrong_state_conflicts(county_item, data_steward, setup, name):
    for step in setup:
        step_name, note = step if isinstance(step, tuple) else (step, "")
        exception_transition(actor=data_steward, item=county_item, name=step_name, note=note)
    with pytest.raises(TransitionConflict, match="cannot be"):
        exception_transition(actor=data_steward, item=county_item, name=name, note="x")


def test_transition__unknown_step_is_invalid(county_item, data_steward):
    with pytest.raises(InvalidInput, match="Unknown step"):
        exception_transition(actor=data_steward, item=county_item, name="explode")


def test_transition__stale_version_conflicts(county_item, data_steward):
    exception_transition(actor=data_steward, item=county_item, name="start", version=1)
    with pytest.raises(TransitionConflict, match="changed since"):
        exception_transition(actor=data_steward, item=county_item, name="resolve", note="x", version=1)


def test_reopen__refused_while_another_item_holds_the_key(raise_exception, data_steward):
    first = raise_exception(dedupe_key="k3")
    exception_transition(actor=data_steward, item=first, name="resolve", note="done")
    raise_exception(dedupe_key="k3")
    with pytest.raises(TransitionConflict, match="same key"):
        exception_transition(actor=data_steward, item=first, name="reopen")
    first.refresh_from_db()
    assert first.status == "resolved"


# -- who may work an item --------------------------------------------------------------------------


@pytest.mark.parametrize("worker", ["data_steward", "county_supervisor"])
def test_work__by_owner_org_queue_roles_is_allowed(county_item, request, worker):
    user = request.getfixturevalue(worker)
    assert exception_transition(actor=user, item=county_item, name="start").status == "in_progress"


def test_work__by_holder_of_the_owner_role_is_allowed(raise_exception, case_manager):
    item = raise_exception(owner_role=Role.CASE_MANAGER)
    assert exception_transition(actor=case_manager, item=item, name="start").status == "in_progress"


def test_work__by_same_org_member_without_queue_or_owner_role_is_not_found(county_item, case_manager):
    # Colleagues outside the owning team do not see the queue at all (the item may name a client).
    with pytest.raises(ExceptionNotFound):
        exception_transition(actor=case_manager, item=county_item, name="start")


def test_work__by_governance_lead_is_refused(county_item, governance_lead):
    with pytest.raises(NotAllowed):
        exception_transition(actor=governance_lead, item=county_item, name="start")


OUTSIDERS = ["provider_supervisor", "provider_intake", "other_provider_intake", "no_role_user"]


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_work__by_other_org_is_not_found(county_item, request, outsider):
    user = request.getfixturevalue(outsider)
    with pytest.raises(ExceptionNotFound):
        exception_transition(actor=user, item=county_item, name="start")
    county_item.refresh_from_db()
    assert county_item.status == "open"


def test_work__holder_of_owner_role_at_another_org_is_not_found(raise_exception, provider_intake, county):
    item = raise_exception(owner_organization=county, owner_role=Role.PROVIDER_INTAKE)
    with pytest.raises(ExceptionNotFound):
        exception_transition(actor=provider_intake, item=item, name="start")


def test_work__after_membership_ends_is_not_found(county_item, data_steward):
    data_steward.memberships.update(active=False)
    with pytest.raises(ExceptionNotFound):
        exception_transition(actor=data_steward, item=county_item, name="start")


# -- assign ----------------------------------------------------------------------------------------


def test_assign__to_colleague_who_may_work_it(county_item, county_supervisor, data_steward):
    item = exception_assign(actor=county_supervisor, item=county_item, assignee=data_steward)
    assert item.assigned_to == data_steward
    event = item.events.get(name="assigned")
    assert event.detail == {"from_user_id": None, "to_user_id": data_steward.pk}
    row = audit_rows("exception.assigned", item).get()
    assert row.actor == county_supervisor
    assert row.detail["to_user_id"] == data_steward.pk


def test_assign__to_nobody_clears(county_item, data_steward):
    exception_assign(actor=data_steward, item=county_item, assignee=data_steward)
    assert exception_assign(actor=data_steward, item=county_item, assignee=None).assigned_to is None


@pytest.mark.parametrize("assignee", ["case_manager", "provider_supervisor", "governance_lead"])
def test_assign__to_someone_who_cannot_work_it_is_invalid(county_item, data_steward, request, assignee):
    with pytest.raises(InvalidInput, match="cannot work"):
        exception_assign(actor=data_steward, item=county_item, assignee=request.getfixturevalue(assignee))
    county_item.refresh_from_db()
    assert county_item.assigned_to is None


def test_assign__closed_item_conflicts(county_item, data_steward):
    exception_transition(actor=data_steward, item=county_item, name="resolve", note="done")
    with pytest.raises(TransitionConflict):
        exception_assign(actor=data_steward, item=county_item, assignee=data_steward)


def test_assign__by_other_org_is_not_found(county_item, provider_supervisor):
    with pytest.raises(ExceptionNotFound):
        exception_assign(actor=provider_supervisor, item=county_item, assignee=provider_supervisor)


def test_history__every_change_is_kept(county_item, data_steward):
    exception_transition(actor=data_steward, item=county_item, name="start")
    exception_transition(actor=data_steward, item=county_item, name="resolve", note="ok")
    statuses = list(county_item.history.order_by("history_date").values_list("status", flat=True))
    assert statuses == ["open", "in_progress", "resolved"]
    assert ExceptionEvent.objects.filter(item=county_item).count() == 3
