"""A partner endpoint that keeps failing raises one `partner-downtime` exception for its organization.

"Keeps failing": WEBHOOK_DOWNTIME_FAILURES attempts in a row failed (default 5), or its failures since
the last success span WEBHOOK_DOWNTIME_AFTER (default an hour). The exception goes to the team that
manages the endpoint, because they are the ones who can reach the partner's technical staff and fix or
turn off the endpoint: provider supervisors for a provider's endpoint, county supervisors for an agency's.
The dedupe key is per endpoint, so while that exception is open, further failures add nothing; once it is
resolved, a new failure streak raises a new one.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Max, Min

from coordination.roles import Role
from exceptionqueue.services import exception_raise
from providers.choices import OrganizationKind

from .models import WebhookAttempt, WebhookEndpoint
from .services import redacted_url

KIND = "partner-downtime"


def owner_role_for(endpoint: WebhookEndpoint) -> str:
    if endpoint.organization.kind == OrganizationKind.AGENCY:
        return Role.COUNTY_SUPERVISOR
    return Role.PROVIDER_SUPERVISOR


def dedupe_key_for(endpoint: WebhookEndpoint) -> str:
    return f"webhook-endpoint:{endpoint.pk}"


def partner_downtime_check(*, endpoint_id):
    """Raise (or find the open) partner-downtime exception if the endpoint keeps failing; else None."""
    endpoint = WebhookEndpoint.objects.select_related("organization").get(pk=endpoint_id)
    attempts = WebhookAttempt.objects.filter(endpoint_id=endpoint.pk)
    last = attempts.order_by("-attempted_at", "-id").values("succeeded", "attempted_at", "error", "response_code")
    latest = last.first()
    if latest is None or latest["succeeded"]:
        return None
    last_success = attempts.filter(succeeded=True).aggregate(at=Max("attempted_at"))["at"]
    streak = attempts.filter(succeeded=False)
    if last_success is not None:
        streak = streak.filter(attempted_at__gt=last_success)
    failing_since = streak.aggregate(at=Min("attempted_at"))["at"]
    failures = streak.count()
    too_many = failures >= int(settings.WEBHOOK_DOWNTIME_FAILURES)
    too_long = latest["attempted_at"] - failing_since >= _downtime_after()
    if not (too_many or too_long):
        return None
    last_error = latest["error"] or f"HTTP {latest['response_code']}"
    return exception_raise(
        kind=KIND,
        summary=f"Partner webhook endpoint {redacted_url(endpoint.url)} failing since "
        f"{failing_since:%Y-%m-%d %H:%M} UTC ({failures} failed attempts)",
        owner_organization=endpoint.organization,
        owner_role=owner_role_for(endpoint),
        severity="high",
        concerning=endpoint,
        detail={
            "endpoint_id": str(endpoint.pk),
            "url": redacted_url(endpoint.url),
            "failed_attempts": failures,
            "failing_since": failing_since.isoformat(),
            "last_error": last_error[:300],
        },
        dedupe_key=dedupe_key_for(endpoint),
    )


def _downtime_after() -> datetime.timedelta:
    return getattr(settings, "WEBHOOK_DOWNTIME_AFTER", datetime.timedelta(hours=1))
