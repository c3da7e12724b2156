"""The demo seed puts work in the queue, through the services, and does not repeat it on a second run."""

from django.core.management import call_command

from audit.models import AuditEvent
from demo.exceptions import STORIES
from exceptionqueue.models import ExceptionEvent, ExceptionItem


def test_seed_demo__adds_demo_exceptions_once(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    first = (ExceptionItem.objects.count(), ExceptionEvent.objects.count(), ExceptionItem.history.count())
    assert first[0] == len(STORIES)
    statuses = dict(ExceptionItem.objects.values_list("kind", "status"))
    assert statuses["consent-conflict"] == "in_progress"
    assert statuses["inbound-message-rejected"] == "resolved"
    assert statuses["wrong-routing"] == "dismissed"
    overdue = ExceptionItem.objects.get(kind="duplicate-client")
    assert overdue.is_overdue()
    assert overdue.client_id is not None
    assert ExceptionItem.objects.get(kind="wrong-routing").referral_id is not None
    raised = AuditEvent.objects.filter(action="exception.raised").count()
    assert raised == len(STORIES)

    call_command("seed_demo", verbosity=0)
    again = (ExceptionItem.objects.count(), ExceptionEvent.objects.count(), ExceptionItem.history.count())
    assert again == first
    assert AuditEvent.objects.filter(action="exception.raised").count() == raised


def test_seed_demo__steward_and_provider_lead_see_their_own(db, settings):
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    users = get_user_model().objects
    steward = set(ExceptionItem.objects.visible_to(users.get(username="datasteward")).values_list("kind", flat=True))
    harbor = set(ExceptionItem.objects.visible_to(users.get(username="harborlead")).values_list("kind", flat=True))
    assert steward == {"validation-rejected", "duplicate-client", "consent-conflict", "wrong-routing"}
    assert harbor == {"partner-downtime", "inbound-message-rejected"}
    assert not ExceptionItem.objects.visible_to(users.get(username="northside")).exists()
