from django.db import models


class CampaignStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class ItemKind(models.TextChoices):
    MEMBERSHIP = "membership", "Membership (role at an organization)"
    OBJECT_PERMISSION = "object_permission", "Object permission (referral share or assignment)"


class Decision(models.TextChoices):
    UNDECIDED = "", "Undecided"
    KEEP = "keep", "Keep"
    REVOKE = "revoke", "Revoke"
    CHANGE_ROLE = "change_role", "Change role"


# A reviewer must say why access goes or changes; keeping it needs no explanation.
DECISIONS_NEEDING_NOTE = frozenset({Decision.REVOKE, Decision.CHANGE_ROLE})


class Verdict(models.TextChoices):
    UNREVIEWED = "", "Not reviewed"
    APPROPRIATE = "appropriate", "Appropriate"
    INAPPROPRIATE = "inappropriate", "Inappropriate"
