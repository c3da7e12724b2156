"""Codes of the referral lifecycle (../shared/DOMAIN.md section 1)."""

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


TERMINAL_STATUSES = frozenset({Status.DECLINED, Status.CLOSED, Status.CANCELLED, Status.ENTERED_IN_ERROR})
OPEN_STATUSES = frozenset(Status) - TERMINAL_STATUSES
# Waiting on the provider's first answer.
AWAITING_RESPONSE_STATUSES = frozenset({Status.SENT, Status.ACKNOWLEDGED})


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    CRISIS = "crisis", "Crisis"


URGENCY_RANK = {Urgency.CRISIS: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


class RiskFlag(models.TextChoices):
    SAFETY_RISK = "safety-risk", "Safety risk"
    SELF_HARM_RISK = "self-harm-risk", "Self-harm risk"
    VIOLENCE_RISK = "violence-risk", "Violence risk"
    MEDICAL_FRAGILITY = "medical-fragility", "Medical fragility"
    DO_NOT_CONTACT_DIRECTLY = "do-not-contact-directly", "Do not contact directly"


# Flags that say why a referral is urgent (a crisis without one is questioned before sending);
# "do not contact directly" is a contact constraint, not a risk.
CRISIS_RISK_FLAGS = frozenset(
    {RiskFlag.SAFETY_RISK, RiskFlag.SELF_HARM_RISK, RiskFlag.VIOLENCE_RISK, RiskFlag.MEDICAL_FRAGILITY}
)


class ReferralContactMethod(models.TextChoices):
    """How the provider should reach the client for this referral; the direct ones use the client's record."""

    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    MAIL = "mail", "Mail"
    THROUGH_REFERRER = "through-referrer", "Through the case manager (no direct contact)"


DIRECT_CONTACT_METHODS = frozenset(
    {ReferralContactMethod.PHONE, ReferralContactMethod.TEXT, ReferralContactMethod.EMAIL, ReferralContactMethod.MAIL}
)


class SensitiveCategory(models.TextChoices):
    """Segmented data the referral reason carries; consent must cover it before the referral is sent."""

    BEHAVIORAL_HEALTH = "behavioral-health", "Behavioral health"
    SUBSTANCE_USE = "substance-use", "Substance use (42 CFR Part 2)"


class EligibilityBasis(models.TextChoices):
    MEDICAID = "medicaid", "Medicaid"
    INCOME = "income", "Income"
    AGE = "age", "Age"
    COUNTY_RESIDENT = "county-resident", "County resident"
    DISABILITY = "disability", "Disability"
    VETERAN = "veteran", "Veteran"
    OTHER = "other", "Other"


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no-capacity", "No capacity"
    WAITLIST_OFFERED = "waitlist-offered", "Waitlist offered"
    NOT_ELIGIBLE = "not-eligible", "Not eligible"
    OUTSIDE_SERVICE_AREA = "outside-service-area", "Outside service area"
    SERVICE_NOT_OFFERED = "service-not-offered", "Service not offered"
    INCOMPLETE_INFORMATION = "incomplete-information", "Incomplete information"
    DUPLICATE_REFERRAL = "duplicate-referral", "Duplicate referral"
    UNABLE_TO_CONTACT = "unable-to-contact", "Unable to contact"
    CLIENT_DECLINED = "client-declined", "Client declined"
    CLIENT_HAS_OTHER_OPTION = "client-has-other-option", "Client has another option"
    REFERRED_ELSEWHERE = "referred-elsewhere", "Referred elsewhere"
    NEEDS_ASSESSMENT_FIRST = "needs-assessment-first", "Needs assessment first"
    FUNDING_UNAVAILABLE = "funding-unavailable", "Funding unavailable"
    OTHER = "other", "Other (note required)"


class CloseOutcome(models.TextChoices):
    SERVICE_COMPLETED = "service-completed", "Service completed"
    SERVICE_PARTIALLY_COMPLETED = "service-partially-completed", "Service partially completed"
    UNABLE_TO_CONTACT = "unable-to-contact", "Unable to contact"
    CLIENT_DECLINED = "client-declined", "Client declined"
    NO_LONGER_ELIGIBLE = "no-longer-eligible", "No longer eligible"
    NO_SHOW = "no-show", "No-show"
    REFERRED_ELSEWHERE = "referred-elsewhere", "Referred elsewhere"
    CLIENT_MOVED = "client-moved", "Client moved"
    CLIENT_DECEASED = "client-deceased", "Client deceased"
    OTHER = "other", "Other (note required)"


# Outcomes that map to FHIR Task.status "completed"; the rest are "failed".
SUCCESSFUL_OUTCOMES = frozenset({CloseOutcome.SERVICE_COMPLETED, CloseOutcome.SERVICE_PARTIALLY_COMPLETED})


class CancelReason(models.TextChoices):
    CLIENT_REQUEST = "client-request", "Client asked to withdraw"
    NEED_RESOLVED = "need-resolved", "Need already resolved"
    DUPLICATE_REFERRAL = "duplicate-referral", "Duplicate referral"
    WRONG_SERVICE = "wrong-service", "Wrong service chosen"
    REFERRED_ELSEWHERE = "referred-elsewhere", "Referred elsewhere"
    CLIENT_MOVED = "client-moved", "Client moved"
    CLIENT_DECEASED = "client-deceased", "Client deceased"
    PROVIDER_UNRESPONSIVE = "provider-unresponsive", "Provider did not respond"
    OTHER = "other", "Other (note required)"


class HoldReason(models.TextChoices):
    WAITLISTED = "waitlisted", "Waitlisted"
    CLIENT_REQUEST = "client-request", "Client asked to pause"
    AWAITING_DOCUMENTS = "awaiting-documents", "Awaiting documents"
    CLIENT_UNAVAILABLE = "client-unavailable", "Client temporarily unavailable"
    OTHER = "other", "Other (note required)"


class ContactResult(models.TextChoices):
    REACHED = "reached", "Reached the client"
    NO_ANSWER = "no-answer", "No answer"
    LEFT_MESSAGE = "left-message", "Left a message"
    WRONG_NUMBER = "wrong-number", "Wrong number"
    DECLINED_CONTACT = "declined-contact", "Client declined contact"


class Side(models.TextChoices):
    REFERRER = "referrer", "Referring agency"
    RECEIVER = "receiver", "Receiving provider"


class EventKind(models.TextChoices):
    """Timeline entries that are not workflow transitions."""

    CREATED = "create", "Created"
    EDITED = "edit", "Draft edited"
    REROUTED = "reroute", "Rerouted"
    ASSIGNED = "assign", "Assigned"
    SHARED = "share", "Shared"
    UNSHARED = "unshare", "Share removed"
