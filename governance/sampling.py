"""Drawing a uniform random sample of access events from a period without sorting the trail by random().

Audit rows are numbered (`sequence`) in time order, so a period is (nearly) a range of sequence numbers, found
with two index lookups. We probe random numbers in that range and keep those that are access events in the
period, round after round, sizing each round by the hit rate seen so far. Every eligible row is equally likely
to be probed, so the sample is uniform. Only when eligible rows are too sparse for probing to fill the sample
do we stream the period's eligible rows once and reservoir-sample the rest.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from audit.choices import ActionCode
from audit.models import AuditEvent, AuditEventClient

from .evidence import Window

MAX_ROUNDS = 6
MAX_PROBES_PER_ROUND = 20_000
# Rows are numbered when written but stamped just before: widen the range so that a row written in the
# period's last (or first) moments by a slower transaction is not left out. Misses outside cost nothing.
SEQUENCE_MARGIN = 1_000


def access_events(window: Window, organization_id=None, exclude_actor_id=None) -> QuerySet:
    """Reads of client data in the window: a client record, or a list that showed clients."""
    listed = Exists(AuditEventClient.objects.filter(event_id=OuterRef("pk")))
    events = AuditEvent.objects.filter(window.q(), action_code=ActionCode.READ).filter(
        Q(client_id__isnull=False) | listed
    )
    if organization_id is not None:
        events = events.filter(actor_organization_id=organization_id)
    if exclude_actor_id is not None:
        # Nobody judges their own accesses.
        events = events.exclude(actor_id=exclude_actor_id)
    return events


def sequence_bounds(window: Window) -> tuple[int, int] | None:
    """The first and last sequence numbers of the window, by two lookups on the recorded_at index."""
    first = (
        AuditEvent.objects.filter(recorded_at__gte=window.start, recorded_at__lt=window.end)
        .order_by("recorded_at", "sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if first is None:
        return None
    last = (
        AuditEvent.objects.filter(recorded_at__gte=window.start, recorded_at__lt=window.end)
        .order_by("-recorded_at", "-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return max(first - SEQUENCE_MARGIN, 1), last + SEQUENCE_MARGIN


def draw_sequences(eligible: QuerySet, *, size: int, bounds: tuple[int, int], rng: random.Random) -> list[int]:
    """Up to `size` sequence numbers drawn uniformly from `eligible` (rows between `bounds`)."""
    low, high = bounds
    span = high - low + 1
    chosen: list[int] = []
    tried: set[int] = set()
    hit_rate = 1.0
    for _ in range(MAX_ROUNDS):
        need = size - len(chosen)
        untried = span - len(tried)
        if need <= 0 or untried <= 0:
            break
        want = min(MAX_PROBES_PER_ROUND, untried, max(need * 2, int(need * 1.5 / hit_rate)))
        probes = _fresh_probes(rng, low, high, want, tried)
        if not probes:
            break
        tried.update(probes)
        hits = list(eligible.filter(sequence__in=probes).order_by().values_list("sequence", flat=True))
        rng.shuffle(hits)
        chosen.extend(hits[:need])
        hit_rate = max(len(hits) / len(probes), 1 / MAX_PROBES_PER_ROUND)
    if len(chosen) < size and len(tried) < span:
        # Sparse: stream the eligible rows not drawn yet (ids only) and reservoir-sample what is missing.
        picked = set(chosen)
        rest = (s for s in _stream(eligible) if s not in picked)
        chosen.extend(_reservoir(rest, size - len(chosen), rng))
    return chosen


def _fresh_probes(rng: random.Random, low: int, high: int, want: int, tried: set[int]) -> list[int]:
    probes: set[int] = set()
    # A few passes suffice: `want` never exceeds what is left untried, and collisions are rare until then.
    for _ in range(20):
        missing = want - len(probes)
        if missing <= 0:
            break
        candidates = rng.sample(range(low, high + 1), min(missing * 2, high - low + 1))
        probes.update(c for c in candidates if c not in tried)
    return list(probes)[:want]


def _stream(eligible: QuerySet) -> Iterable[int]:
    return eligible.order_by().values_list("sequence", flat=True).iterator(chunk_size=5000)


def _reservoir(items: Iterable[int], k: int, rng: random.Random) -> list[int]:
    reservoir: list[int] = []
    for seen, item in enumerate(items):
        if seen < k:
            reservoir.append(item)
        else:
            slot = rng.randrange(seen + 1)
            if slot < k:
                reservoir[slot] = item
    return reservoir


def draw_access_events(
    *, window: Window, size: int, rng: random.Random, organization_id=None, exclude_actor_id=None
) -> list[int]:
    bounds = sequence_bounds(window)
    if bounds is None:
        return []
    eligible = access_events(window, organization_id, exclude_actor_id)
    return draw_sequences(eligible, size=size, bounds=bounds, rng=rng)
