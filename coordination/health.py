"""`/health/`: is the portal able to do its work? JSON for load balancers and monitoring; no auth, no client data.

200 when every check passes, 503 otherwise. Built-in checks: the database (a trivial query) and the Celery
broker (a short-timeout connection: Redis is pinged; the embedded filesystem broker counts as up when its
folder is writable). Apps add their own with `register_health_check(name, func)` in `ready()` (the SLA app
reports the age of the last sweep, so a stopped scheduler turns the portal unhealthy). A check returns a dict
with `ok` and any figures worth showing; an exception counts as a failure and only its type is reported
(messages can carry host names or credentials).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_SECONDS = 2

HealthCheck = Callable[[], dict]
_checks: dict[str, HealthCheck] = {}


def register_health_check(name: str, check: HealthCheck) -> None:
    _checks[name] = check


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_broker() -> dict:
    from coordination.celery import app

    url = str(app.conf.broker_url or "")
    scheme = url.split("://", 1)[0]
    if scheme == "filesystem":
        folder = (app.conf.broker_transport_options or {}).get("data_folder_in", "")
        writable = bool(folder) and os.path.isdir(folder) and os.access(folder, os.W_OK)
        return {"ok": writable, "transport": "filesystem"}
    if scheme == "memory":
        return {"ok": True, "transport": "memory"}
    if scheme in ("redis", "rediss"):
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS
        )
        try:
            return {"ok": bool(client.ping()), "transport": scheme}
        finally:
            client.close()
    from kombu import Connection

    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    return {"ok": True, "transport": scheme}


register_health_check("database", check_database)
register_health_check("broker", check_broker)


def run_checks() -> dict[str, dict]:
    results = {}
    for name, check in _checks.items():
        try:
            result = dict(check())
        except Exception as error:  # a failing dependency is the answer, not a crash
            result = {"ok": False, "error": type(error).__name__}
        result["ok"] = bool(result.get("ok"))
        results[name] = result
    return results


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(c["ok"] for c in checks.values())
    body = {"status": "ok" if healthy else "unhealthy", "time": timezone.now().isoformat(), "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
