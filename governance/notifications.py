"""The overdue-review reminder email, sent by the outbox after the reminder's transaction commits.

The outbox row carries ids only (campaign, reviewers); names and addresses are read when sending. A retried
message may email twice (email cannot be rolled back), never zero times.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import timezone

from coordination.outbox import outbox_handler

from .models import AccessReviewCampaign
from .services.reminders import REMINDER_EVENT


def reminder_text(campaign: AccessReviewCampaign, undecided: int) -> tuple[str, str]:
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    items = base + reverse("admin:governance_accessreviewitem_changelist")
    due = timezone.localtime(campaign.due_at).strftime("%Y-%m-%d %H:%M")
    subject = f"Access review overdue: {campaign.name}"
    body = (
        f'The access review "{campaign.name}" was due {due} and {undecided} item(s) are still undecided.\n\n'
        f"Please keep, revoke or change each access in the governance admin:\n{items}?campaign={campaign.pk}\n\n"
        "You receive this as a reviewer of the campaign; it repeats daily until every item is decided."
    )
    return subject, body


@outbox_handler
def send_access_review_reminder(message) -> None:
    if message.event != REMINDER_EVENT:
        return
    campaign = AccessReviewCampaign.objects.filter(pk=message.subject_id).first()
    if campaign is None:
        return
    subject, body = reminder_text(campaign, int(message.data.get("undecided", 0)))
    reviewers = get_user_model().objects.filter(pk__in=message.data.get("reviewer_ids", []), is_active=True)
    # One message per reviewer: reviewers do not see each other's addresses.
    send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, [r.email]) for r in reviewers if r.email],
        fail_silently=False,
    )
