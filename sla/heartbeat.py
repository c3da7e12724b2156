"""The sweep's heartbeat: when it last ran, how long it took, what it did; and whether that is too long ago."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import SweepHeartbeat

SLA_SWEEP = "sla_sweep"


def stale_after() -> datetime.timedelta:
    return getattr(settings, "SLA_SWEEP_STALE_AFTER", datetime.timedelta(minutes=5))


def heartbeat_record(*, name: str, as_of: datetime.datetime, duration: datetime.timedelta, counts: dict) -> None:
    """Upsert the one row for `name` (two sweeps finishing together both land; the last one wins)."""
    values = {
        "last_run_at": timezone.now(),
        "last_as_of": as_of,
        "duration_ms": max(0, int(duration.total_seconds() * 1000)),
        "counts": counts,
    }
    if SweepHeartbeat.objects.filter(name=name).update(runs=F("runs") + 1, **values):
        return
    try:
        with transaction.atomic():
            SweepHeartbeat.objects.create(name=name, runs=1, **values)
    except IntegrityError:
        SweepHeartbeat.objects.filter(name=name).update(runs=F("runs") + 1, **values)


@dataclass(frozen=True)
class HeartbeatStatus:
    last_run_at: datetime.datetime | None
    age: datetime.timedelta | None
    stale_after: datetime.timedelta
    duration_ms: int | None = None
    counts: dict | None = None

    @property
    def stale(self) -> bool:
        return self.age is None or self.age > self.stale_after

    @property
    def age_minutes(self) -> int | None:
        return None if self.age is None else int(self.age.total_seconds() // 60)


def heartbeat_status(name: str = SLA_SWEEP, *, now: datetime.datetime | None = None) -> HeartbeatStatus:
    """One indexed read. Never run counts as stale: the scheduler has not shown it is alive."""
    now = now or timezone.now()
    row = SweepHeartbeat.objects.filter(name=name).values("last_run_at", "duration_ms", "counts").first()
    if row is None:
        return HeartbeatStatus(last_run_at=None, age=None, stale_after=stale_after())
    return HeartbeatStatus(
        last_run_at=row["last_run_at"],
        age=max(now - row["last_run_at"], datetime.timedelta()),
        stale_after=stale_after(),
        duration_ms=row["duration_ms"],
        counts=row["counts"],
    )
