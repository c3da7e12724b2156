from django.db import models


class OrganizationKind(models.TextChoices):
    AGENCY = "agency", "County agency"
    PROVIDER = "provider", "Community provider"


class PartnerCategory(models.TextChoices):
    HEALTHCARE = "healthcare", "Healthcare"
    BEHAVIORAL_HEALTH = "behavioral-health", "Behavioral health"
    HOUSING = "housing", "Housing"
    FOOD = "food", "Food"
    SOCIAL_SUPPORT = "social-support", "Social support"
    DISABILITY = "disability", "Disability"
    URGENT_CARE = "urgent-care", "Urgent care"
    COUNTY_AGENCY = "county-agency", "County agency"
    LEGAL = "legal", "Legal aid"
    EMPLOYMENT = "employment", "Employment"
    TRANSPORTATION = "transportation", "Transportation"


class SdohCategory(models.TextChoices):
    """Gravity SDOH domains (ServiceRequest.category)."""

    FOOD_INSECURITY = "food-insecurity", "Food insecurity"
    HOUSING_INSTABILITY = "housing-instability", "Housing instability"
    HOMELESSNESS = "homelessness", "Homelessness"
    INADEQUATE_HOUSING = "inadequate-housing", "Inadequate housing"
    TRANSPORTATION_INSECURITY = "transportation-insecurity", "Transportation insecurity"
    FINANCIAL_INSECURITY = "financial-insecurity", "Financial insecurity"
    MATERIAL_HARDSHIP = "material-hardship", "Material hardship"
    EDUCATIONAL_ATTAINMENT = "educational-attainment", "Educational attainment"
    EMPLOYMENT_STATUS = "employment-status", "Employment status"
    VETERAN_STATUS = "veteran-status", "Veteran status"
    STRESS = "stress", "Stress"
    SOCIAL_CONNECTION = "social-connection", "Social connection"
    INTIMATE_PARTNER_VIOLENCE = "intimate-partner-violence", "Intimate partner violence"
    ELDER_ABUSE = "elder-abuse", "Elder abuse"
    PERSONAL_HEALTH_LITERACY = "personal-health-literacy", "Personal health literacy"
    HEALTH_INSURANCE_COVERAGE_STATUS = "health-insurance-coverage-status", "Health insurance coverage"
    MEDICAL_COST_BURDEN = "medical-cost-burden", "Medical cost burden"
    DIGITAL_LITERACY = "digital-literacy", "Digital literacy"
    DIGITAL_ACCESS = "digital-access", "Digital access"
    UTILITY_INSECURITY = "utility-insecurity", "Utility insecurity"
    LANGUAGE_ACCESS = "language-access", "Language access"
    INCARCERATION_STATUS = "incarceration-status", "Incarceration status"


class ServiceStatus(models.TextChoices):
    """HSDS 3.0 service.status."""

    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


class CapacityStatus(models.TextChoices):
    """Gravity capacity extension (HSDS has none)."""

    CAPACITY = "capacity", "Has capacity"
    WAITLIST = "waitlist", "Waitlist"
    ADDITIONAL_ASSESSMENT_REQUIRED = "additional-assessment-required", "Additional assessment required"
    NO_CAPACITY = "no-capacity", "No capacity"


class LocationType(models.TextChoices):
    PHYSICAL = "physical", "Physical"
    POSTAL = "postal", "Postal"
    VIRTUAL = "virtual", "Virtual"


class ServiceAreaKind(models.TextChoices):
    POSTAL_CODE = "postal_code", "Postal code"
    COUNTY = "county", "County"
