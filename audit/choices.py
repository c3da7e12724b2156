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
}
