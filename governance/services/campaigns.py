"""Opening an access review: the items and their evidence."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from audit.choices import AuditAction
from audit.services import audit_record
from providers.access import holds_permission
from providers.models import Membership, Organization
from referrals.models import ReferralUserObjectPermission

from ..choices import ItemKind
from ..errors import NotAllowed
from ..evidence import Evidence, Window, referral_reads
from ..models import AccessReviewCampaign, AccessReviewItem
from ..selectors import governance_reviewers


@transaction.atomic
def campaign_open(
    *,
    actor,
    name: str,
    organizations: Iterable[Organization],
    reviewers: Iterable,
    period_start: datetime.date,
    period_end: datetime.date,
    due_at: datetime.datetime,
) -> AccessReviewCampaign:
    """Open a campaign: one item per active membership in scope and per live referral grant touching the scope."""
    # The evidence is read from the whole audit trail: opening needs the right to read it.
    if not (
        holds_permission(actor, "governance.add_accessreviewcampaign")
        and holds_permission(actor, "audit.view_auditevent")
    ):
        raise NotAllowed("Only governance leads open access reviews.")
    organizations, reviewers = list(organizations), list(reviewers)
    _check_campaign(name, organizations, reviewers, period_start, period_end, due_at)
    campaign = AccessReviewCampaign(
        name=name.strip(),
        period_start=period_start,
        period_end=period_end,
        due_at=due_at,
        created_by=actor,
    )
    campaign._history_user = actor
    campaign.save()
    campaign.organizations.set(organizations)
    campaign.reviewers.set(reviewers)
    items = _items_for(campaign, [o.pk for o in organizations])
    bulk_create_with_history(items, AccessReviewItem, default_user=actor)
    kinds = {kind: sum(1 for i in items if i.kind == kind) for kind in ItemKind.values}
    audit_record(
        action=AuditAction.ACCESS_REVIEW_OPENED,
        actor=actor,
        target=campaign,
        detail={
            "organizations": sorted(str(o.pk) for o in organizations),
            "reviewers": sorted(r.pk for r in reviewers),
            "period": [period_start.isoformat(), period_end.isoformat()],
            "due_at": due_at.isoformat(),
            "items": kinds,
        },
    )
    return campaign


def _check_campaign(name, organizations, reviewers, period_start, period_end, due_at) -> None:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = ["Give the campaign a name."]
    if not organizations:
        errors["organizations"] = ["Choose at least one organization to review."]
    if not reviewers:
        errors["reviewers"] = ["Choose at least one reviewer."]
    else:
        eligible = set(governance_reviewers().filter(pk__in=[r.pk for r in reviewers]).values_list("pk", flat=True))
        refused = sorted(r.get_username() for r in reviewers if r.pk not in eligible)
        if refused:
            errors["reviewers"] = [f"Reviewers must be active governance leads: {', '.join(refused)}."]
    if period_start > period_end:
        errors["period_end"] = ["The review period ends before it starts."]
    if due_at <= timezone.now():
        errors["due_at"] = ["The due date must be in the future."]
    if errors:
        raise ValidationError(errors)


def _items_for(campaign: AccessReviewCampaign, organization_ids: list) -> list[AccessReviewItem]:
    """Build the items with their evidence in a fixed number of queries (no query per item)."""
    in_scope = Membership.objects.filter(organization_id__in=organization_ids, active=True)
    memberships = list(in_scope.select_related("user", "organization").order_by("organization__name", "user__username"))
    now = timezone.now()
    # The service reads grants directly: the campaign, not the grant's own policy, authorizes listing them.
    grants = list(
        ReferralUserObjectPermission.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(
            Q(user_id__in=in_scope.values("user_id"))
            | Q(content_object__referring_organization_id__in=organization_ids)
            | Q(content_object__receiving_organization_id__in=organization_ids)
        )
        .select_related("user", "permission", "granted_by")
        .annotate(referring_id=F("content_object__referring_organization_id"))
        .annotate(receiving_id=F("content_object__receiving_organization_id"))
        .order_by("pk")
    )
    if not memberships and not grants:
        return []
    users = {m.user_id for m in memberships} | {g.user_id for g in grants}
    subjects = get_user_model().objects.filter(pk__in=users).values("pk")
    window = Window.of_days(campaign.period_start, campaign.period_end)
    evidence = Evidence.load(subjects, window)
    reads = referral_reads(grants, window)
    names = dict(Organization.objects.filter(pk__in=organization_ids).values_list("pk", "name"))
    home = {}
    for m in memberships:
        home.setdefault(m.user_id, m.organization_id)
    items = [_membership_item(campaign, m, evidence) for m in memberships]
    for grant in grants:
        organization_id = next(
            (o for o in (grant.referring_id, grant.receiving_id, home.get(grant.user_id)) if o in names), None
        )
        items.append(_grant_item(campaign, grant, organization_id, names, evidence, reads))
    return items


def _subject(user) -> dict:
    return {
        "subject_user": user,
        "subject_username": user.get_username(),
        "subject_name": (user.get_full_name() or "")[:200],
    }


def _membership_item(campaign, membership: Membership, evidence: Evidence) -> AccessReviewItem:
    return AccessReviewItem(
        campaign=campaign,
        kind=ItemKind.MEMBERSHIP,
        membership=membership,
        organization=membership.organization,
        organization_name=membership.organization.name,
        role=membership.role,
        evidence=evidence.for_user(membership.user),
        **_subject(membership.user),
    )


def _grant_item(campaign, grant, organization_id, names: dict, evidence: Evidence, reads: dict) -> AccessReviewItem:
    return AccessReviewItem(
        campaign=campaign,
        kind=ItemKind.OBJECT_PERMISSION,
        grant=grant,
        organization_id=organization_id,
        organization_name=names.get(organization_id, ""),
        permission=grant.permission.codename,
        referral_id=grant.content_object_id,
        evidence={
            **evidence.for_user(grant.user),
            "referral_reads": reads.get((grant.user_id, str(grant.content_object_id)), 0),
            "granted_by": grant.granted_by.get_username() if grant.granted_by else None,
            "granted_at": grant.granted_at.isoformat() if grant.granted_at else None,
            "expires_at": grant.expires_at.isoformat() if grant.expires_at else None,
        },
        **_subject(grant.user),
    )
