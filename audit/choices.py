from django.db import models


class AuditAction(models.TextChoices):
    LOGIN = "user.login", "Signed in"
    LOGOUT = "user.logout", "Signed out"
    LOGIN_FAILED = "user.login_failed", "Failed sign-in"
    TOKEN_ISSUED = "user.token_issued", "API token issued"
    TOKEN_REVOKED = "user.token_revoked", "API token revoked"
    USER_LOCKED_OUT = "user.locked_out", "Sign-in locked after failed attempts"
    USER_UNLOCKED = "user.unlocked", "Sign-in lockout cleared"
    PASSWORD_CHANGED = "user.password_changed", "Password changed"
    USER_DEACTIVATED = "user.deactivated", "User deactivated (sessions and tokens ended)"
    USER_REACTIVATED = "user.reactivated", "User reactivated"
    CLIENT_CREATED = "client.created", "Client created"
    CLIENT_UPDATED = "client.updated", "Client updated"
    CLIENT_VIEWED = "client.viewed", "Client viewed"
    CLIENT_LISTED = "client.listed", "Clients listed"
    MEMBERSHIP_GRANTED = "membership.granted", "Membership granted"
    MEMBERSHIP_CHANGED = "membership.changed", "Membership changed"
    MEMBERSHIP_REVOKED = "membership.revoked", "Membership revoked"
    OBJECT_ACCESS_DENIED = "object.access_denied", "Access denied"
    REFERRAL_CREATED = "referral.created", "Referral created"
    REFERRAL_UPDATED = "referral.updated", "Referral draft updated"
    REFERRAL_TRANSITIONED = "referral.transitioned", "Referral status changed"
    REFERRAL_TRANSITION_REFUSED = "referral.transition_refused", "Referral status change refused"
    REFERRAL_REROUTED = "referral.rerouted", "Referral rerouted"
    REFERRAL_VIEWED = "referral.viewed", "Referral viewed"
    REFERRAL_LISTED = "referral.listed", "Referrals listed"
    REFERRAL_ASSIGNED = "referral.assigned", "Referral assigned"
    REFERRAL_SHARED = "referral.shared", "Referral shared (object permission granted)"
    REFERRAL_UNSHARED = "referral.unshared", "Referral share removed (object permission revoked)"
    # Response targets (sla/): the sweep records a missed target, climbs the ladder; a notified user acknowledges.
    REFERRAL_SLA_BREACHED = "referral.sla_breached", "Referral missed a response target"
    REFERRAL_ESCALATED = "referral.escalated", "Referral escalated (response target still missed)"
    REFERRAL_ESCALATION_ACKNOWLEDGED = "referral.escalation_acknowledged", "Referral escalation acknowledged"
    CONSENT_RECORDED = "consent.recorded", "Consent recorded"
    CONSENT_REVOKED = "consent.revoked", "Consent revoked"
    CONSENT_ENTERED_IN_ERROR = "consent.entered_in_error", "Consent marked entered in error"
    CONSENT_VIEWED = "consent.viewed", "Consent viewed"
    CONSENT_LISTED = "consent.listed", "Consents listed"
    DISCLOSURE_BLOCKED = "disclosure.blocked", "Disclosure blocked by consent"
    PURPOSE_REFUSED = "purpose.refused", "Purpose of use refused"
    BREAK_GLASS_STARTED = "break_glass.started", "Break-the-glass access started"
    BREAK_GLASS_ENDED = "break_glass.ended", "Break-the-glass access ended"
    BREAK_GLASS_LISTED = "break_glass.listed", "Break-the-glass accesses listed"
    BREAK_GLASS_VIEWED = "break_glass.viewed", "Break-the-glass access viewed"
    AUDIT_LISTED = "audit.listed", "Audit log listed"
    AUDIT_EXPORTED = "audit.exported", "Audit log exported"
    AUDIT_VERIFIED = "audit.verified", "Audit chain verified"
    REQUEST_REFUSED = "request.refused", "Request refused (403)"
    AUDIT_EVENT_VIEWED = "audit.event_viewed", "Audit event opened"
    ADMIN_PRIVILEGE_CHANGED = "user.privileges_changed", "Admin privileges changed (groups, staff, superuser)"
    OBJECT_PERMISSION_GRANTED = "object_permission.granted", "Object permission granted"
    OBJECT_PERMISSION_REVOKED = "object_permission.revoked", "Object permission revoked"
    ACCESS_REVIEW_OPENED = "access_review.opened", "Access review opened"
    ACCESS_REVIEW_ITEM_DECIDED = "access_review.item_decided", "Access review item decided"
    ACCESS_REVIEW_COMPLETED = "access_review.completed", "Access review completed"
    ACCESS_REVIEW_CANCELLED = "access_review.cancelled", "Access review cancelled"
    ACCESS_REVIEW_REMINDED = "access_review.reminded", "Access review reminder sent (overdue)"
    ACCESS_REVIEW_EXPORTED = "access_review.exported", "Access review evidence exported"
    AUDIT_SAMPLE_DRAWN = "audit_sample.drawn", "Audit sample drawn"
    AUDIT_SAMPLE_ITEM_REVIEWED = "audit_sample.item_reviewed", "Audit sample event reviewed"
    EXCEPTION_RAISED = "exception.raised", "Exception raised"
    EXCEPTION_TRANSITIONED = "exception.transitioned", "Exception status changed"
    EXCEPTION_ASSIGNED = "exception.assigned", "Exception assigned"
    EXCEPTION_ESCALATED = "exception.escalated", "Exception escalated (overdue)"
    EXCEPTION_VIEWED = "exception.viewed", "Exception viewed"
    EXCEPTION_LISTED = "exception.listed", "Exceptions listed"
    WEBHOOK_ENDPOINT_CREATED = "webhook.endpoint_created", "Webhook endpoint created"
    WEBHOOK_ENDPOINT_CHANGED = "webhook.endpoint_changed", "Webhook endpoint changed"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated", "Webhook signing secret rotated"
    WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint_disabled", "Webhook endpoint disabled"
    WEBHOOK_ENDPOINT_DELETED = "webhook.endpoint_deleted", "Webhook endpoint deleted"
    # Accounting of disclosures (audit/report.py, audit/ledger.py).
    DISCLOSURE_REPORT_VIEWED = "disclosure_report.viewed", "Client disclosure report viewed"
    DISCLOSURE_REPORT_EXPORTED = "disclosure_report.exported", "Client disclosure report exported"
    # Referral performance numbers (metrics/): aggregates, no client data; recorded with the slice asked for.
    METRICS_VIEWED = "metrics.viewed", "Referral performance numbers viewed"
    METRICS_EXPORTED = "metrics.exported", "Referral performance numbers exported (CSV)"
    PARTNER_NOTIFIED = "webhook.delivered", "Partner notification delivered (client data to a partner)"
    # Validation at the edge and data quality (referrals/validation/, quality/): rule codes and counts, no client data.
    REFERRAL_SUBMISSION_REJECTED = "referral.submission_rejected", "Referral not sent: the template failed validation"
    QUALITY_VIEWED = "quality.viewed", "Data quality report viewed"
    QUALITY_EXPORTED = "quality.exported", "Data quality report exported (CSV)"
    QUALITY_WEEKLY_REPORT_ISSUED = "quality.weekly_report_issued", "Weekly data quality report issued"
    # Every add, change and delete saved in the admin (coordination/admin_audit.py), besides any service's own row.
    ADMIN_ADDED = "admin.added", "Added in the admin"
    ADMIN_CHANGED = "admin.changed", "Changed in the admin"
    ADMIN_DELETED = "admin.deleted", "Deleted in the admin"


class ActionCode(models.TextChoices):
    """FHIR AuditEvent.action."""

    CREATE = "C", "Create"
    READ = "R", "Read/view"
    UPDATE = "U", "Update"
    DELETE = "D", "Delete"
    EXECUTE = "E", "Execute"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class Source(models.TextChoices):
    PAGE = "page", "Portal page"
    API = "api", "REST API"
    FHIR = "fhir", "FHIR API"
    TASK = "task", "Background task"
    COMMAND = "command", "Management command"
    ADMIN = "admin", "Admin"
    SYSTEM = "system", "System"


ACTION_CODES = {
    AuditAction.LOGIN: ActionCode.EXECUTE,
    AuditAction.LOGOUT: ActionCode.EXECUTE,
    AuditAction.LOGIN_FAILED: ActionCode.EXECUTE,
    AuditAction.TOKEN_ISSUED: ActionCode.CREATE,
    AuditAction.TOKEN_REVOKED: ActionCode.DELETE,
    AuditAction.USER_LOCKED_OUT: ActionCode.EXECUTE,
    AuditAction.USER_UNLOCKED: ActionCode.EXECUTE,
    AuditAction.PASSWORD_CHANGED: ActionCode.UPDATE,
    AuditAction.USER_DEACTIVATED: ActionCode.UPDATE,
    AuditAction.USER_REACTIVATED: ActionCode.UPDATE,
    AuditAction.CLIENT_CREATED: ActionCode.CREATE,
    AuditAction.CLIENT_UPDATED: ActionCode.UPDATE,
    AuditAction.CLIENT_VIEWED: ActionCode.READ,
    AuditAction.CLIENT_LISTED: ActionCode.READ,
    AuditAction.MEMBERSHIP_GRANTED: ActionCode.CREATE,
    AuditAction.MEMBERSHIP_CHANGED: ActionCode.UPDATE,
    AuditAction.MEMBERSHIP_REVOKED: ActionCode.DELETE,
    AuditAction.OBJECT_ACCESS_DENIED: ActionCode.READ,
    AuditAction.REFERRAL_CREATED: ActionCode.CREATE,
    AuditAction.REFERRAL_UPDATED: ActionCode.UPDATE,
    AuditAction.REFERRAL_TRANSITIONED: ActionCode.UPDATE,
    AuditAction.REFERRAL_TRANSITION_REFUSED: ActionCode.UPDATE,
    AuditAction.REFERRAL_REROUTED: ActionCode.CREATE,
    AuditAction.REFERRAL_VIEWED: ActionCode.READ,
    AuditAction.REFERRAL_LISTED: ActionCode.READ,
    AuditAction.REFERRAL_ASSIGNED: ActionCode.UPDATE,
    AuditAction.REFERRAL_SHARED: ActionCode.CREATE,
    AuditAction.REFERRAL_UNSHARED: ActionCode.DELETE,
    AuditAction.REFERRAL_SLA_BREACHED: ActionCode.EXECUTE,
    AuditAction.REFERRAL_ESCALATED: ActionCode.EXECUTE,
    AuditAction.REFERRAL_ESCALATION_ACKNOWLEDGED: ActionCode.UPDATE,
    AuditAction.CONSENT_RECORDED: ActionCode.CREATE,
    AuditAction.CONSENT_REVOKED: ActionCode.UPDATE,
    AuditAction.CONSENT_ENTERED_IN_ERROR: ActionCode.UPDATE,
    AuditAction.CONSENT_VIEWED: ActionCode.READ,
    AuditAction.CONSENT_LISTED: ActionCode.READ,
    AuditAction.DISCLOSURE_BLOCKED: ActionCode.EXECUTE,
    AuditAction.PURPOSE_REFUSED: ActionCode.EXECUTE,
    AuditAction.BREAK_GLASS_STARTED: ActionCode.EXECUTE,
    AuditAction.BREAK_GLASS_ENDED: ActionCode.EXECUTE,
    AuditAction.BREAK_GLASS_LISTED: ActionCode.READ,
    AuditAction.BREAK_GLASS_VIEWED: ActionCode.READ,
    AuditAction.AUDIT_LISTED: ActionCode.READ,
    AuditAction.AUDIT_EXPORTED: ActionCode.READ,
    AuditAction.AUDIT_VERIFIED: ActionCode.EXECUTE,
    AuditAction.REQUEST_REFUSED: ActionCode.EXECUTE,
    AuditAction.AUDIT_EVENT_VIEWED: ActionCode.READ,
    AuditAction.ADMIN_PRIVILEGE_CHANGED: ActionCode.UPDATE,
    AuditAction.OBJECT_PERMISSION_GRANTED: ActionCode.CREATE,
    AuditAction.OBJECT_PERMISSION_REVOKED: ActionCode.DELETE,
    AuditAction.ACCESS_REVIEW_OPENED: ActionCode.CREATE,
    AuditAction.ACCESS_REVIEW_ITEM_DECIDED: ActionCode.UPDATE,
    AuditAction.ACCESS_REVIEW_COMPLETED: ActionCode.UPDATE,
    AuditAction.ACCESS_REVIEW_CANCELLED: ActionCode.UPDATE,
    AuditAction.ACCESS_REVIEW_REMINDED: ActionCode.EXECUTE,
    AuditAction.ACCESS_REVIEW_EXPORTED: ActionCode.READ,
    AuditAction.AUDIT_SAMPLE_DRAWN: ActionCode.CREATE,
    AuditAction.AUDIT_SAMPLE_ITEM_REVIEWED: ActionCode.UPDATE,
    AuditAction.EXCEPTION_RAISED: ActionCode.CREATE,
    AuditAction.EXCEPTION_TRANSITIONED: ActionCode.UPDATE,
    AuditAction.EXCEPTION_ASSIGNED: ActionCode.UPDATE,
    AuditAction.EXCEPTION_ESCALATED: ActionCode.UPDATE,
    AuditAction.EXCEPTION_VIEWED: ActionCode.READ,
    AuditAction.EXCEPTION_LISTED: ActionCode.READ,
    AuditAction.WEBHOOK_ENDPOINT_CREATED: ActionCode.CREATE,
    AuditAction.WEBHOOK_ENDPOINT_CHANGED: ActionCode.UPDATE,
    AuditAction.WEBHOOK_SECRET_ROTATED: ActionCode.UPDATE,
    AuditAction.WEBHOOK_ENDPOINT_DISABLED: ActionCode.UPDATE,
    AuditAction.WEBHOOK_ENDPOINT_DELETED: ActionCode.DELETE,
    AuditAction.DISCLOSURE_REPORT_VIEWED: ActionCode.READ,
    AuditAction.DISCLOSURE_REPORT_EXPORTED: ActionCode.READ,
    AuditAction.METRICS_VIEWED: ActionCode.READ,
    AuditAction.METRICS_EXPORTED: ActionCode.READ,
    AuditAction.PARTNER_NOTIFIED: ActionCode.EXECUTE,
    AuditAction.REFERRAL_SUBMISSION_REJECTED: ActionCode.UPDATE,
    AuditAction.QUALITY_VIEWED: ActionCode.READ,
    AuditAction.QUALITY_EXPORTED: ActionCode.READ,
    AuditAction.QUALITY_WEEKLY_REPORT_ISSUED: ActionCode.CREATE,
    AuditAction.ADMIN_ADDED: ActionCode.CREATE,
    AuditAction.ADMIN_CHANGED: ActionCode.UPDATE,
    AuditAction.ADMIN_DELETED: ActionCode.DELETE,
}
