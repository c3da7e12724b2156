"""`manage.py sla_sweep [--at ISO-8601]`: the same sweep on demand; a replay judges due times as of --at."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent
from sla.models import SlaBreach, SweepHeartbeat

from .conftest import local

pytestmark = pytest.mark.django_db

T = local(2026, 5, 1, 9)


def run(*args) -> str:
    out = StringIO()
    call_command("sla_sweep", *args, stdout=out)
    return out.getvalue()


def test_command__at_replays_the_sweep_as_of_that_time(send_at):
    referral = send_at(T, urgency="crisis")
    early = run("--at", "2026-05-01T09:59:00-07:00")
    assert "0 breaches" in early and not SlaBreach.objects.exists()

    late = run("--at", "2026-05-01T17:01:00Z")  # 10:01 in Los Angeles: the acknowledgement is 1 minute late
    assert "1 breaches" in late and "2026-05-01T17:01:00+00:00" in late
    breach = SlaBreach.objects.get()
    assert (breach.referral_id, breach.stage) == (referral.pk, "acknowledge")
    assert breach.breached_at == datetime.datetime(2026, 5, 1, 17, 1, tzinfo=datetime.UTC)
    beat = SweepHeartbeat.objects.get()
    assert beat.last_as_of == breach.breached_at
    assert abs(beat.last_run_at - timezone.now()) < datetime.timedelta(minutes=1)  # when it ran, not as of when
    assert AuditEvent.objects.get(action="referral.sla_breached").source == "command"


def test_command__without_at_judges_now(send_at):
    send_at(timezone.now() - datetime.timedelta(hours=2), urgency="crisis")
    assert "1 breaches" in run()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "not an ISO 8601 time"),
        ("2026-13-01T00:00:00Z", "not an ISO 8601 time"),
        ("2026-05-01T10:00:00", "has no time zone"),
        ("2999-01-01T00:00:00Z", "is in the future"),
    ],
)
def test_command__bad_at_is_refused_with_a_clear_message(value, message, send_at):
    send_at(T, urgency="crisis")
    with pytest.raises(CommandError, match=message):
        run("--at", value)
    assert not SlaBreach.objects.exists() and not SweepHeartbeat.objects.exists()


def test_task__the_beat_entry_runs_the_sweep_every_minute(settings, send_at):
    from sla.tasks import sla_sweep as task

    entry = settings.CELERY_BEAT_SCHEDULE["sla-sweep"]
    assert (entry["task"], entry["schedule"]) == ("sla.tasks.sla_sweep", 60)
    assert entry["options"]["expires"] < 60
    assert task.name == "sla.tasks.sla_sweep" and task.acks_late

    send_at(timezone.now() - datetime.timedelta(hours=2), urgency="crisis")
    counts = task.delay().get()
    assert counts["breaches"] == 1
    assert AuditEvent.objects.get(action="referral.sla_breached").source == "task"
    assert task.delay().get()["breaches"] == 0
