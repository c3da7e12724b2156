"""The Celery tasks: thin, idempotent, acks late; retries come from the sweep, not from Celery ETAs."""

from django.conf import settings

from audit.choices import AuditAction
from audit.models import AuditEvent
from tests.webhooks.test_delivery import make_delivery
from webhooks.choices import DeliveryStatus
from webhooks.tasks import webhook_deliver, webhook_sweep


def test_deliver__sends_a_pending_delivery_once(provider_endpoint, fake_post):
    delivery = make_delivery(provider_endpoint)
    assert webhook_deliver.delay(str(delivery.pk)).get() is True
    assert webhook_deliver.delay(str(delivery.pk)).get() is False  # succeeded: skipped
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and len(fake_post.calls) == 1


def test_deliver__skips_what_is_not_pending(provider_endpoint, fake_post):
    for status in (DeliveryStatus.ABANDONED, DeliveryStatus.SUCCEEDED):
        assert webhook_deliver.delay(str(make_delivery(provider_endpoint, status=status).pk)).get() is False
    assert fake_post.calls == []


def test_deliver__audit_rows_of_a_410_come_from_the_task(provider_endpoint, fake_post):
    fake_post.answer(410)
    webhook_deliver.delay(str(make_delivery(provider_endpoint).pk)).get()
    assert AuditEvent.objects.get(action=AuditAction.WEBHOOK_ENDPOINT_DISABLED).source == "task"


def test_tasks__ack_late_and_the_sweep_is_on_the_beat_every_minute(provider_endpoint, fake_post):
    assert webhook_deliver.acks_late and webhook_deliver.reject_on_worker_lost
    assert settings.CELERY_BEAT_SCHEDULE["webhook-sweep"] == {"task": "webhooks.tasks.webhook_sweep", "schedule": 60}
    make_delivery(provider_endpoint)
    assert webhook_sweep.delay().get() == 1
