"""Codes of FHIR R4 Consent and HL7 purpose of use (../shared/DOMAIN.md section 3)."""

from django.db import models

from coordination.purpose import PurposeOfUse as PurposeOfUse  # the one list, re-exported here


class ConsentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive (revoked or expired)"
    REJECTED = "rejected", "Rejected"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", "Written (signed form)"
    VERBAL = "verbal", "Verbal"
    ELECTRONIC = "electronic", "Electronic"


class ProvisionType(models.TextChoices):
    PERMIT = "permit", "Permit"
    DENY = "deny", "Deny"


# A permit for the general purpose covers its specializations (HL7 ActReason hierarchy).
PURPOSE_PARENTS = {
    PurposeOfUse.ELIGDTRM: PurposeOfUse.HPAYMT,
    PurposeOfUse.ENROLLM: PurposeOfUse.HPAYMT,
    PurposeOfUse.CAREMGT: PurposeOfUse.HOPERAT,
    PurposeOfUse.HQUALIMP: PurposeOfUse.HOPERAT,
    PurposeOfUse.PERFMSR: PurposeOfUse.HOPERAT,
}
# Never permitted, whatever a consent says.
FORBIDDEN_PURPOSES = frozenset({PurposeOfUse.HMARKT})


class DataCategory(models.TextChoices):
    DEMOGRAPHICS = "demographics", "Demographics"
    CONTACT = "contact", "Contact details"
    REFERRAL_REASON = "referral-reason", "Referral reason"
    RISK_FLAGS = "risk-flags", "Risk flags"
    BEHAVIORAL_HEALTH = "behavioral-health", "Behavioral health"
    SUBSTANCE_USE = "substance-use", "Substance use (42 CFR Part 2)"
    HOUSING = "housing", "Housing"
    INCOME_BENEFITS = "income-benefits", "Income and benefits"


# Part 2 data needs a consent naming the receiving organization itself, not only its category.
NAMED_RECIPIENT_ONLY = frozenset({DataCategory.SUBSTANCE_USE})


class RevocationMethod(models.TextChoices):
    WRITTEN = "written", "In writing"
    VERBAL = "verbal", "Verbally"
    ELECTRONIC = "electronic", "Electronically"
