"""Staff roles and the permission set each one carries.

The single source of truth: `sync_roles` mirrors it into Django groups, memberships put users in
those groups, and the access policies ask `roles_granting(...)` which roles allow an action.
"""

from django.db import models


class Role(models.TextChoices):
    CASE_MANAGER = "case_manager", "Case manager"
    COUNTY_SUPERVISOR = "county_supervisor", "County supervisor"
    PROVIDER_INTAKE = "provider_intake", "Provider intake"
    PROVIDER_SUPERVISOR = "provider_supervisor", "Provider supervisor"
    GOVERNANCE_LEAD = "governance_lead", "Governance lead"
    DATA_STEWARD = "data_steward", "Data steward"
    PARTNER_SYSTEM = "partner_system", "Partner system (API client)"


_DIRECTORY_READ = frozenset({"providers.view_organization", "providers.view_service", "providers.view_location"})
_CLIENT_WORK = frozenset({"clients.view_client", "clients.add_client", "clients.change_client"})
_REFERRING = frozenset({"referrals.view_referral", "referrals.add_referral", "referrals.change_referral"})
_RECEIVING = frozenset({"referrals.view_referral", "referrals.change_referral"})
# Working an organization's exception queue (see exceptionqueue/access.py for the whole rule).
_EXCEPTION_WORK = frozenset({"exceptionqueue.view_exceptionitem", "exceptionqueue.change_exceptionitem"})
# An organization's own partner webhook endpoints and their delivery logs (see webhooks/access.py).
_WEBHOOK_ADMIN = frozenset(
    {
        "webhooks.view_webhookendpoint",
        "webhooks.add_webhookendpoint",
        "webhooks.change_webhookendpoint",
        "webhooks.delete_webhookendpoint",
        "webhooks.view_webhookdelivery",
    }
)
# Consent is recorded by the client's own organization (the custodian) at intake.
_CONSENT_WORK = frozenset({"consent.view_consent", "consent.add_consent", "consent.change_consent"})
# The custodian's own accounting of disclosures of its clients (GET /api/v1/clients/{id}/disclosures/).
_DISCLOSURE_REPORT = frozenset({"clients.view_client_disclosures"})
# Referral performance numbers of the organization (metrics/access.py has the whole scope rule).
_METRICS = frozenset({"metrics.view_referral_metrics"})
# The sending agency's data quality numbers and weekly reports (quality/access.py has the whole scope rule).
_QUALITY = frozenset({"quality.view_quality_report"})

SLA_CONFIG_MODELS = ("slapolicy", "openinghours", "holiday")

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CASE_MANAGER: _DIRECTORY_READ
    | _CLIENT_WORK
    | _CONSENT_WORK
    | _REFERRING
    | {"referrals.share_referral"}
    | _DISCLOSURE_REPORT,
    Role.COUNTY_SUPERVISOR: _DIRECTORY_READ
    | _CLIENT_WORK
    | _CONSENT_WORK
    | _REFERRING
    | {
        "providers.view_membership",
        "referrals.share_referral",
        "referrals.assign_case_manager",
        "referrals.mark_entered_in_error",
    }
    | _EXCEPTION_WORK
    | _WEBHOOK_ADMIN
    | _DISCLOSURE_REPORT
    | _METRICS
    | _QUALITY,
    Role.PROVIDER_INTAKE: _DIRECTORY_READ | _CLIENT_WORK | _CONSENT_WORK | _RECEIVING,
    Role.PROVIDER_SUPERVISOR: _DIRECTORY_READ
    | _CLIENT_WORK
    | _CONSENT_WORK
    | _RECEIVING
    | {
        "providers.change_service",
        "providers.change_location",
        "providers.view_membership",
        "referrals.assign_worker",
    }
    | _EXCEPTION_WORK
    | _WEBHOOK_ADMIN
    | _DISCLOSURE_REPORT
    | _METRICS,
    Role.DATA_STEWARD: _DIRECTORY_READ
    | {"clients.view_client", "clients.change_client"}
    | _EXCEPTION_WORK
    | _DISCLOSURE_REPORT
    | _METRICS
    | _QUALITY,
    # An agency's system sends referrals; a provider's system answers them (the side decides which).
    Role.PARTNER_SYSTEM: _DIRECTORY_READ | _CLIENT_WORK | _CONSENT_WORK | _REFERRING,
    # Governance works in the admin: read everything needed for access reviews, change memberships.
    Role.GOVERNANCE_LEAD: _DIRECTORY_READ
    | {
        "providers.view_membership",
        "providers.add_membership",
        "providers.change_membership",
        "clients.view_client",
        "referrals.view_referral",
        # Direct object permissions on referrals, set in the governance admin (referrals/admin.py).
        "referrals.change_referraluserobjectpermission",
        "consent.view_consent",
        "consent.view_breakglassaccess",
        "consent.view_exchangeusecase",
        "consent.add_exchangeusecase",
        "consent.change_exchangeusecase",
        "audit.view_auditevent",
        # Access reviews and sample audit checks (governance/access.py).
        "governance.view_accessreviewcampaign",
        "governance.add_accessreviewcampaign",
        "governance.change_accessreviewcampaign",
        "governance.view_accessreviewitem",
        "governance.change_accessreviewitem",
        "governance.view_auditsample",
        "governance.add_auditsample",
        "governance.view_auditsampleitem",
        "governance.change_auditsampleitem",
        "exceptionqueue.view_exceptionitem",
        "webhooks.govern_webhookendpoint",
        # Response targets: SLA policies, opening hours and holidays (sla/admin.py).
        *(f"sla.{action}_{model}" for action in ("view", "add", "change", "delete") for model in SLA_CONFIG_MODELS),
        "auth.view_user",
        # Referral performance numbers of the whole network (metrics/access.py).
        "metrics.view_referral_metrics",
        "metrics.view_network_metrics",
        # Data quality of every agency (quality/access.py).
        "quality.view_quality_report",
        "quality.view_network_quality",
    },
}

# Roles whose holders may sign in to the browser; partner systems use API tokens only.
BROWSER_ROLES = frozenset(ROLE_PERMISSIONS) - {Role.PARTNER_SYSTEM}
ADMIN_ROLES = frozenset({Role.GOVERNANCE_LEAD})


def roles_granting(perm: str) -> list[str]:
    """Roles whose permission set contains `perm` ("app_label.codename")."""
    return sorted(role for role, perms in ROLE_PERMISSIONS.items() if perm in perms)
