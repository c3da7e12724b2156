import pytest
from django.db import transaction

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent, AuditLogIsAppendOnly
from audit.services import audit_record
from clients.models import Client
from clients.services import client_create
from coordination.context import acting_as
from tests.factories import PASSWORD


def test_login__writes_audit_row_with_actor_org_and_source(client, case_manager, county):
    client.post(
        "/accounts/login/",
        {"username": "cm", "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
        HTTP_USER_AGENT="pytest-browser",
    )
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor == case_manager
    assert event.actor_organization_id == county.pk
    assert event.actor_role == "case_manager"
    assert event.purpose_of_use == "COC"
    assert (event.source, event.remote_addr, event.user_agent) == ("page", "10.1.2.3", "pytest-browser")
    assert event.action_code == "E" and event.outcome == Outcome.SUCCESS
    assert event.request_id


def test_failed_login__writes_failed_row_without_actor(client, case_manager):
    client.post("/accounts/login/", {"username": "cm", "password": "wrong"})
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.outcome == Outcome.FAILED
    assert event.actor is None
    assert event.actor_display == "cm"


def test_logout__writes_audit_row(client, case_manager):
    client.force_login(case_manager)
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=case_manager).count() == 1


def test_governance_purpose_is_operations(governance_lead):
    event = audit_record(action=AuditAction.CLIENT_LISTED, actor=governance_lead)
    assert event.purpose_of_use == "HOPERAT"


def test_client_create__writes_audit_row_in_same_transaction(case_manager, county):
    with acting_as(case_manager, source="command"):
        client = client_create(
            actor=case_manager,
            organization=county,
            data={"given_name": "Ada", "family_name": "Quinn", "birth_date": "1980-01-02", "phone": "541-555-0101"},
        )
    event = AuditEvent.objects.get(action=AuditAction.CLIENT_CREATED)
    assert event.client_id == client.pk
    assert event.target_type == "clients.Client" and event.target_id == str(client.pk)
    assert event.source == "command" and event.action_code == "C"
    assert client.history.get().history_user == case_manager


def test_client_create__rolls_back_when_audit_write_fails(case_manager, county, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("clients.services.audit_record", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        client_create(
            actor=case_manager,
            organization=county,
            data={"given_name": "Ada", "family_name": "Quinn", "birth_date": "1980-01-02", "phone": "541-555-0101"},
        )
    assert not Client.objects.exists()


def test_audit_rows__refuse_update_and_delete(case_manager):
    event = audit_record(action=AuditAction.LOGIN, actor=case_manager)
    event.outcome_reason = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(outcome="denied")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).outcome_reason == ""


def test_audit_events__visible_only_to_governance(governance_lead, case_manager):
    audit_record(action=AuditAction.LOGIN, actor=case_manager)
    assert AuditEvent.objects.visible_to(governance_lead).count() >= 1
    assert AuditEvent.objects.visible_to(case_manager).count() == 0
