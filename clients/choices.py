from django.db import models


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    MAIL = "mail", "Mail"
    NONE = "none", "Do not contact"


class IdentifierSystem(models.TextChoices):
    COUNTY_CASE_NUMBER = "county-case-number", "County case number"
    MEDICAID_ID = "medicaid-id", "Medicaid ID"
    MRN = "mrn", "Medical record number"
    HMIS_ID = "hmis-id", "HMIS client ID"
    OTHER = "other", "Other"
