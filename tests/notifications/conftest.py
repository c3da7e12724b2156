import pytest
from django.core import mail

from coordination.roles import Role
from providers.services import membership_grant
from tests.factories import UserFactory


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """`with delivered(): ...` runs the block, then what it handed over after commit (Celery is eager in
    tests, so the outbox processes inline, and so do the emails recorded by that processing)."""
    mail.outbox = []

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def provider_worker(provider):
    """A second intake worker at the receiving provider, to be assigned referrals."""
    user = UserFactory(username="worker")
    membership_grant(actor=None, user=user, organization=provider, role=Role.PROVIDER_INTAKE)
    return user


@pytest.fixture
def notify(db):
    """`notify(user, text=..., read=False, minutes_ago=0)`: one notification for `user` (its own outbox row)."""
    import datetime

    from django.utils import timezone

    from coordination.models import OutboxMessage
    from notifications.models import Notification

    def make(
        user,
        *,
        text="Referral ABCD1234 was accepted by Harbor Community Health.",
        event="referral.accepted",
        referral=None,
        read=False,
        minutes_ago=0,
    ):
        created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
        message = OutboxMessage.objects.create(event=event, processed_at=created)
        return Notification.objects.create(
            recipient=user,
            event=event,
            message=message,
            referral=referral,
            text=text,
            created_at=created,
            read_at=created if read else None,
        )

    return make
