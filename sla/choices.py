from django.db import models


class Unit(models.TextChoices):
    """How a target's amount is counted (see `sla.calendar` for the exact rules)."""

    HOURS = "hours", "Hours (business hours unless the policy runs around the clock)"
    BUSINESS_DAYS = "business_days", "Business days"
    DAYS = "days", "Calendar days"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"
