"""The sweep's part of `/health/`: how long ago it last ran; older than `SLA_SWEEP_STALE_AFTER` is unhealthy."""

from __future__ import annotations

from .heartbeat import heartbeat_status


def check_sweep() -> dict:
    status = heartbeat_status()
    return {
        "ok": not status.stale,
        "last_run_at": status.last_run_at.isoformat() if status.last_run_at else None,
        "age_seconds": int(status.age.total_seconds()) if status.age is not None else None,
        "stale_after_seconds": int(status.stale_after.total_seconds()),
        "duration_ms": status.duration_ms,
        "counts": status.counts,
    }
