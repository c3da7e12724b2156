"""Sample audit checks: a uniform random draw of access events in a period, without ORDER BY random()."""

import datetime
import random
import uuid
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent, AuditEventClient
from governance import sampling
from governance.choices import Verdict
from governance.errors import NotAllowed, NotAReviewer
from governance.evidence import Window
from governance.services import sample_draw, sample_item_review
from tests.factories import audit_event as make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(case_manager, provider_intake, county, provider, reviewer):
    """40 access events in the period (30 detail reads, 10 list reads), and what must never be drawn."""
    now = timezone.now()
    inside = [now - datetime.timedelta(days=d, minutes=m) for d in (2, 5, 9) for m in range(20)]
    access = []
    for n, when in enumerate(inside[:30]):
        actor, organization = (case_manager, county) if n % 2 else (provider_intake, provider)
        access.append(
            make_event(
                action=AuditAction.CLIENT_VIEWED,
                client_id=uuid.uuid4(),
                actor=actor,
                actor_organization_id=organization.pk,
                recorded_at=when,
            )
        )
    for when in inside[30:40]:
        listed = make_event(
            action=AuditAction.REFERRAL_LISTED, actor=case_manager, actor_organization_id=county.pk, recorded_at=when
        )
        AuditEventClient.objects.create(event=listed, client_id=uuid.uuid4())
        access.append(listed)
    long_ago = now - datetime.timedelta(days=60)
    never = [
        make_event(action=AuditAction.CLIENT_UPDATED, client_id=uuid.uuid4(), recorded_at=inside[40]),
        make_event(action=AuditAction.AUDIT_LISTED, actor=case_manager, recorded_at=inside[41]),  # no clients
        make_event(action=AuditAction.LOGIN, actor=case_manager, recorded_at=inside[42]),
        make_event(action=AuditAction.CLIENT_VIEWED, client_id=uuid.uuid4(), actor=case_manager, recorded_at=long_ago),
        make_event(action=AuditAction.CLIENT_VIEWED, client_id=uuid.uuid4(), actor=reviewer, recorded_at=inside[43]),
    ]
    return {"access": {e.sequence for e in access}, "never": {e.sequence for e in never}}


@pytest.fixture
def draw(governance_lead, reviewer, period):
    def draw_(size=10, **kwargs):
        kwargs.setdefault("period_start", period[0])
        kwargs.setdefault("period_end", period[1])
        return sample_draw(actor=governance_lead, size=size, reviewer=reviewer, **kwargs)

    return draw_


def drawn(sample) -> set[int]:
    return set(sample.items.values_list("event_id", flat=True))


def test_draw__takes_n_distinct_access_events_of_the_period(draw, trail, governance_lead, reviewer):
    sample = draw(size=15)

    events = drawn(sample)
    assert len(events) == 15 == sample.items.count()
    assert events <= trail["access"]
    row = AuditEvent.objects.get(action=AuditAction.AUDIT_SAMPLE_DRAWN)
    assert (row.actor, row.target_id) == (governance_lead, str(sample.pk))
    assert (row.detail["size"], row.detail["drawn"], row.detail["reviewer"]) == (15, 15, reviewer.pk)
    assert set(row.detail["events"]) == events


def test_draw__a_period_with_fewer_events_gives_all_of_them(draw, trail):
    assert drawn(draw(size=200)) == trail["access"]


def test_draw__organization_filter(draw, trail, county):
    county_events = set(
        AuditEvent.objects.filter(sequence__in=trail["access"], actor_organization_id=county.pk).values_list(
            "sequence", flat=True
        )
    )

    assert drawn(draw(size=100, organization=county)) == county_events


def test_draw__a_period_without_events_gives_an_empty_sample(draw, trail):
    long_ago = timezone.localdate() - datetime.timedelta(days=400)

    sample = draw(period_start=long_ago, period_end=long_ago + datetime.timedelta(days=1))

    assert sample.items.count() == 0


def test_draw__is_random_and_never_sorts_the_trail(draw, trail):
    with CaptureQueriesContext(connection) as queries:
        first = drawn(draw(size=10))
    second = drawn(draw(size=10))

    assert first != second  # 10 of 40 twice alike: about 1 in 850 million
    assert not any("RANDOM()" in q["sql"].upper() for q in queries.captured_queries)


def test_draw__is_uniform(trail, period, reviewer):
    window = Window.of_days(*period)
    rng = random.Random(20261121)
    counts = Counter()
    for _ in range(200):
        counts.update(sampling.draw_access_events(window=window, size=10, rng=rng, exclude_actor_id=reviewer.pk))

    assert set(counts) == trail["access"]
    # Each of 40 events is expected 50 times; binomial(200, 1/4) stays within 25..75 with overwhelming odds.
    assert all(25 <= n <= 75 for n in counts.values()), counts


def test_draw__sparse_periods_fill_through_the_reservoir(trail, period, reviewer, monkeypatch):
    monkeypatch.setattr(sampling, "MAX_ROUNDS", 1)
    monkeypatch.setattr(sampling, "MAX_PROBES_PER_ROUND", 3)
    window = Window.of_days(*period)

    picked = sampling.draw_access_events(window=window, size=20, rng=random.Random(7), exclude_actor_id=reviewer.pk)

    assert len(picked) == len(set(picked)) == 20
    assert set(picked) <= trail["access"]


def test_draw__probing_fills_a_large_period_in_few_queries(governance_lead, case_manager, period):
    now = timezone.now()
    for n in range(600):
        make_event(
            recorded_at=now - datetime.timedelta(minutes=n),
            action=AuditAction.CLIENT_VIEWED if n % 3 else AuditAction.CLIENT_UPDATED,
            client_id=uuid.uuid4(),
            actor=case_manager,
        )
    window = Window.of_days(*period)

    with CaptureQueriesContext(connection) as queries:
        picked = sampling.draw_access_events(window=window, size=50, rng=random.Random(1))

    assert len(set(picked)) == 50
    assert AuditEvent.objects.filter(sequence__in=picked, action_code="R").count() == 50
    assert len(queries) <= 6  # two bounds and a few probe rounds, no scan


def test_draw__input_and_role_checks(draw, governance_lead, case_manager, period, reviewer):
    with pytest.raises(ValidationError) as refused:
        sample_draw(actor=governance_lead, period_start=period[1], period_end=period[0], size=0, reviewer=case_manager)
    assert set(refused.value.message_dict) == {"size", "period_end", "reviewer"}
    with pytest.raises(NotAllowed):
        sample_draw(actor=case_manager, period_start=period[0], period_end=period[1], size=5, reviewer=reviewer)


def test_draw__leaves_out_the_reviewers_own_accesses(draw, trail):
    assert not drawn(draw(size=200)) & trail["never"]


# --- reviewing ------------------------------------------------------------------------------------------


def test_review__marks_an_event_and_is_audited(draw, trail, reviewer):
    item = draw(size=3).items.first()

    reviewed = sample_item_review(actor=reviewer, item=item, verdict=Verdict.INAPPROPRIATE, note="No open referral.")

    assert (reviewed.verdict, reviewed.reviewed_by, reviewed.note) == ("inappropriate", reviewer, "No open referral.")
    row = AuditEvent.objects.get(action=AuditAction.AUDIT_SAMPLE_ITEM_REVIEWED)
    assert (row.actor, row.subtype, row.target_id) == (reviewer, "inappropriate", str(item.pk))
    assert row.detail["event"] == item.event_id


def test_review__inappropriate_needs_a_note(draw, trail, reviewer):
    item = draw(size=1).items.get()

    with pytest.raises(ValidationError):
        sample_item_review(actor=reviewer, item=item, verdict=Verdict.INAPPROPRIATE)
    with pytest.raises(ValidationError):
        sample_item_review(actor=reviewer, item=item, verdict="unsure")

    assert sample_item_review(actor=reviewer, item=item, verdict=Verdict.APPROPRIATE).verdict == "appropriate"


@pytest.mark.parametrize("who", ["bystander_lead", "case_manager"])
def test_review__by_someone_else_is_refused_and_audited(who, request, draw, trail):
    actor = request.getfixturevalue(who)
    item = draw(size=1).items.get()

    with pytest.raises(NotAReviewer):
        sample_item_review(actor=actor, item=item, verdict=Verdict.APPROPRIATE)

    item.refresh_from_db()
    assert item.verdict == ""
    row = AuditEvent.objects.get(action=AuditAction.AUDIT_SAMPLE_ITEM_REVIEWED)
    assert (row.actor, row.outcome) == (actor, Outcome.DENIED)
