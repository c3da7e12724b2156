"""`/health/`: database, broker and the age of the last sweep; 200 healthy, 503 otherwise; no auth, no client data.
And the banner supervisors see on every page while the scheduler is stale."""

from __future__ import annotations

import datetime

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sla.heartbeat import heartbeat_record
from sla.models import SweepHeartbeat
from tests.outbox_support import DEAD_BROKER, celery_broker

pytestmark = pytest.mark.django_db

HEALTH = "/health/"


@pytest.fixture
def broker_folder(tmp_path):
    """The embedded filesystem broker in a writable folder (the development default)."""
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    with celery_broker("filesystem://", transport_options=options):
        yield folder


def beat(minutes_ago: float) -> None:
    heartbeat_record(name="sla_sweep", as_of=timezone.now(), duration=datetime.timedelta(milliseconds=40), counts={})
    SweepHeartbeat.objects.update(last_run_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))


def test_health__healthy_when_everything_answers(client, broker_folder):
    beat(minutes_ago=1)
    response = client.get(HEALTH)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "sla_sweep": True,
    }
    sweep = body["checks"]["sla_sweep"]
    assert 55 <= sweep["age_seconds"] <= 75 and sweep["stale_after_seconds"] == 300
    assert response["Cache-Control"].startswith("max-age=0")


def test_health__a_stale_sweep_is_unhealthy(client, broker_folder):
    beat(minutes_ago=6)
    response = client.get(HEALTH)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert (body["checks"]["sla_sweep"]["ok"], body["checks"]["database"]["ok"]) == (False, True)


def test_health__the_stale_limit_is_a_setting(client, broker_folder, settings):
    settings.SLA_SWEEP_STALE_AFTER = datetime.timedelta(minutes=10)
    beat(minutes_ago=6)
    assert client.get(HEALTH).status_code == 200


def test_health__a_sweep_that_never_ran_is_unhealthy(client, broker_folder):
    body = client.get(HEALTH).json()
    assert body["checks"]["sla_sweep"] == {
        "ok": False,
        "last_run_at": None,
        "age_seconds": None,
        "stale_after_seconds": 300,
        "duration_ms": None,
        "counts": None,
    }


def test_health__database_down_is_unhealthy_and_says_only_the_error_type(client, broker_folder, monkeypatch):
    beat(minutes_ago=1)

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server at db.internal:5432 as portal")

    monkeypatch.setattr(connection, "cursor", down)
    response = client.get(HEALTH)
    monkeypatch.undo()
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["sla_sweep"]["ok"] is False  # it cannot read the heartbeat either
    assert "db.internal" not in response.content.decode()


def test_health__broker_down_is_unhealthy(client):
    beat(minutes_ago=1)
    with celery_broker(DEAD_BROKER):
        response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_health__filesystem_broker_folder_missing_is_down(client, tmp_path):
    beat(minutes_ago=1)
    options = {"data_folder_in": str(tmp_path / "missing")}
    with celery_broker("filesystem://", transport_options=options):
        body = client.get(HEALTH).json()
    assert body["checks"]["broker"] == {"ok": False, "transport": "filesystem"}


def test_health__no_sign_in_needed_and_get_only(client, case_manager, broker_folder):
    beat(minutes_ago=1)
    assert client.get(HEALTH).status_code == 200
    assert client.post(HEALTH).status_code == 405


# --- the banner ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "minutes_ago", "shown"),
    [
        ("county_supervisor", None, True),  # never ran
        ("county_supervisor", 6, True),
        ("provider_supervisor", 6, True),
        ("county_supervisor", 1, False),
        ("provider_supervisor", 1, False),
        ("case_manager", 6, False),
        ("provider_intake", 6, False),
        ("governance_lead", 6, False),
    ],
)
def test_banner__supervisors_see_a_stale_scheduler_on_every_page(who, minutes_ago, shown, client, request):
    if minutes_ago is not None:
        beat(minutes_ago=minutes_ago)
    client.force_login(request.getfixturevalue(who))
    for page in (reverse("home"), reverse("notifications:list")):
        html = client.get(page).content.decode()
        assert ('id="scheduler-banner"' in html) is shown, page


def test_banner__costs_one_query_only_for_supervisors(client, case_manager, county_supervisor):
    beat(minutes_ago=1)
    counts = {}
    for user in (case_manager, county_supervisor):
        client.force_login(user)
        client.get(reverse("home"))  # warm up whatever a first page load does once
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("home"))
        counts[user.username] = [q["sql"] for q in queries if "sla_sweepheartbeat" in q["sql"]]
    assert len(counts["cm"]) == 0
    assert len(counts["sup"]) == 1
