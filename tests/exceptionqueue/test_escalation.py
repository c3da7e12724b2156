"""Overdue open/in-progress exceptions escalate once per level; the sweep is idempotent."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from audit.models import AuditEvent
from coordination.roles import Role
from exceptionqueue.models import ExceptionItem
from exceptionqueue.services import exception_transition, exceptions_escalate_overdue

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def critical_item(raise_exception):
    with time_machine.travel(NOW, tick=False):
        return raise_exception(severity="critical")  # due NOW + 4 h


def escalations(item):
    return AuditEvent.objects.filter(action="exception.escalated", target_id=str(item.pk))


def test_escalate__nothing_before_due(critical_item):
    assert exceptions_escalate_overdue(now=NOW + 4 * HOUR - timedelta(seconds=1)) == 0
    critical_item.refresh_from_db()
    assert critical_item.escalation_level == 0
    assert not escalations(critical_item).exists()


def test_escalate__once_per_level(critical_item):
    due = NOW + 4 * HOUR
    assert exceptions_escalate_overdue(now=due) == 1
    assert exceptions_escalate_overdue(now=due + HOUR) == 0  # same level: nothing again
    critical_item.refresh_from_db()
    assert (critical_item.escalation_level, critical_item.escalated_at) == (1, due)
    assert critical_item.next_escalation_at == due + 4 * HOUR

    assert exceptions_escalate_overdue(now=due + 4 * HOUR) == 1
    assert exceptions_escalate_overdue(now=due + 4 * HOUR) == 0
    critical_item.refresh_from_db()
    assert critical_item.escalation_level == 2
    assert list(escalations(critical_item).order_by("recorded_at").values_list("subtype", flat=True)) == [
        "level-1",
        "level-2",
    ]
    assert list(critical_item.events.filter(name="escalated").values_list("detail__level", flat=True)) == [1, 2]


def test_escalate__skipped_levels_jump_once_to_current_level(critical_item):
    assert exceptions_escalate_overdue(now=NOW + 4 * HOUR + 9 * HOUR) == 1
    critical_item.refresh_from_db()
    assert critical_item.escalation_level == 3
    assert escalations(critical_item).count() == 1


@override_settings(EXCEPTION_QUEUE_MAX_ESCALATION_LEVEL=2)
def test_escalate__stops_at_top_level(critical_item):
    exceptions_escalate_overdue(now=NOW + 100 * HOUR)
    critical_item.refresh_from_db()
    assert critical_item.escalation_level == 2
    assert critical_item.next_escalation_at is None
    assert exceptions_escalate_overdue(now=NOW + 1000 * HOUR) == 0
    assert escalations(critical_item).count() == 1


def test_escalate__in_progress_items_escalate_too(critical_item, data_steward):
    exception_transition(actor=data_steward, item=critical_item, name="start")
    assert exceptions_escalate_overdue(now=NOW + 5 * HOUR) == 1


@pytest.mark.parametrize("step", ["resolve", "dismiss"])
def test_escalate__closed_items_never_escalate(critical_item, data_steward, step):
    exception_transition(actor=data_steward, item=critical_item, name=step, note="handled")
    assert exceptions_escalate_overdue(now=NOW + 100 * HOUR) == 0
    critical_item.refresh_from_db()
    assert critical_item.escalation_level == 0


def test_escalate__reopened_item_starts_over(critical_item, data_steward):
    exceptions_escalate_overdue(now=NOW + 5 * HOUR)
    exception_transition(actor=data_steward, item=critical_item, name="resolve", note="done")
    with time_machine.travel(NOW + 10 * HOUR, tick=False):
        exception_transition(actor=data_steward, item=critical_item, name="reopen")
    critical_item.refresh_from_db()
    assert critical_item.escalation_level == 0
    assert exceptions_escalate_overdue(now=NOW + 13 * HOUR) == 0
    assert exceptions_escalate_overdue(now=NOW + 14 * HOUR) == 1


def test_escalate__audit_names_the_supervisors_to_notify(critical_item, county_supervisor, provider_supervisor):
    exceptions_escalate_overdue(now=NOW + 5 * HOUR)
    row = escalations(critical_item).get()
    # Only the owner organization's supervisors: the provider's supervisor has no business here.
    assert row.detail["notified"] == [county_supervisor.pk]
    assert row.detail["level"] == 1


def test_escalate__each_organization_notifies_its_own_supervisors(
    raise_exception, provider, county_supervisor, provider_supervisor
):
    with time_machine.travel(NOW, tick=False):
        county_item = raise_exception(severity="high")
        provider_item = raise_exception(
            severity="high", owner_organization=provider, owner_role=Role.PROVIDER_SUPERVISOR
        )
    assert exceptions_escalate_overdue(now=NOW + 25 * HOUR) == 2
    assert escalations(county_item).get().detail["notified"] == [county_supervisor.pk]
    assert escalations(provider_item).get().detail["notified"] == [provider_supervisor.pk]


def test_escalate__does_not_change_unrelated_items(critical_item, raise_exception):
    with time_machine.travel(NOW, tick=False):
        low = raise_exception(severity="low")
    exceptions_escalate_overdue(now=NOW + 5 * HOUR)
    low.refresh_from_db()
    assert low.escalation_level == 0
    assert ExceptionItem.objects.filter(escalation_level__gt=0).count() == 1


def test_escalate__enqueues_one_outbox_message_per_level_with_supervisors(critical_item, county_supervisor):
    from coordination.models import OutboxMessage

    exceptions_escalate_overdue(now=NOW + 5 * HOUR)
    exceptions_escalate_overdue(now=NOW + 5 * HOUR)
    message = OutboxMessage.objects.get(event="exception.escalated")
    assert (message.subject_type, message.subject_id) == ("exceptionqueue.ExceptionItem", str(critical_item.pk))
    assert message.data["user_ids"] == [county_supervisor.pk]
    assert message.data["level"] == 1
    exceptions_escalate_overdue(now=NOW + 9 * HOUR)
    assert OutboxMessage.objects.filter(event="exception.escalated").count() == 2


def _process_escalation_messages():
    from coordination.models import OutboxMessage
    from coordination.outbox import outbox_process_message

    for message in OutboxMessage.objects.filter(event="exception.escalated", processed_at__isnull=True):
        assert outbox_process_message(message_id=message.pk)


def test_escalate__tells_the_owners_supervisors_in_the_portal_and_by_email(
    client, critical_item, county_supervisor, provider_supervisor, case_manager, data_steward
):
    from django.urls import reverse

    from notifications.models import Notification, NotificationEmail

    exceptions_escalate_overdue(now=NOW + 5 * HOUR)
    _process_escalation_messages()
    [notification] = Notification.objects.all()
    assert (notification.recipient, notification.event) == (county_supervisor, "exception.escalated")
    assert notification.text == (
        f"Exception {critical_item.reference} (validation rejected, critical severity) for "
        f"{critical_item.owner_organization.name} is overdue: escalated to level 1."
    )
    assert critical_item.summary not in notification.text  # a summary may name a client
    assert (notification.referral_id, notification.client_id) == (None, None)
    detail = reverse("exceptionqueue:detail", args=[critical_item.pk])
    assert notification.link() == (detail, "Open the exception")
    assert NotificationEmail.objects.filter(notification=notification).exists() == bool(county_supervisor.email)

    client.force_login(county_supervisor)
    page = client.get(reverse("notifications:list")).content.decode()
    assert f'href="{detail}"' in page


def test_escalate__a_supervisor_who_left_before_processing_is_not_told(critical_item, county_supervisor, county):
    from notifications.models import Notification
    from providers.models import Membership

    exceptions_escalate_overdue(now=NOW + 5 * HOUR)
    Membership.objects.filter(user=county_supervisor, organization=county).update(active=False)
    _process_escalation_messages()
    assert not Notification.objects.exists()
