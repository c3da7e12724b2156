from datetime import timedelta

from django.db import models


class ExceptionKind(models.TextChoices):
    VALIDATION_REJECTED = "validation-rejected", "Validation rejected"
    DUPLICATE_CLIENT = "duplicate-client", "Possible duplicate client"
    DUPLICATE_REFERRAL = "duplicate-referral", "Possible duplicate referral"
    CONSENT_CONFLICT = "consent-conflict", "Consent conflict"
    INVALID_AUTHORIZATION = "invalid-authorization", "Invalid authorization"
    PARTNER_DOWNTIME = "partner-downtime", "Partner system down"
    WRONG_ROUTING = "wrong-routing", "Wrong routing"
    INBOUND_MESSAGE_REJECTED = "inbound-message-rejected", "Inbound message rejected"
    SLA_BREACH = "sla-breach", "SLA breach"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ExceptionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


ACTIVE_STATUSES = frozenset({ExceptionStatus.OPEN, ExceptionStatus.IN_PROGRESS})
CLOSED_STATUSES = frozenset({ExceptionStatus.RESOLVED, ExceptionStatus.DISMISSED})

# Defaults for settings.EXCEPTION_QUEUE_DUE_AFTER (severity -> time to resolve).
DEFAULT_DUE_AFTER: dict[str, timedelta] = {
    Severity.CRITICAL: timedelta(hours=4),
    Severity.HIGH: timedelta(days=1),
    Severity.MEDIUM: timedelta(days=3),
    Severity.LOW: timedelta(days=7),
}
DEFAULT_MAX_ESCALATION_LEVEL = 3
