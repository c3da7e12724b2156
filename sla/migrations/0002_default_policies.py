"""The shipped response targets (issue 6): crisis 1 h / 4 h / 3 days around the clock; urgent 4 h / 1 business
day / 7 days and routine 2 / 5 business days / 30 days in the receiving organization's hours.

The values are written out here (not imported) so that this migration keeps meaning what it meant."""

from django.db import migrations

DEFAULTS = [
    ("crisis", True, (1, "hours"), (4, "hours"), (3, "days")),
    ("urgent", False, (4, "hours"), (1, "business_days"), (7, "days")),
    ("routine", False, (2, "business_days"), (5, "business_days"), (30, "days")),
]


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for urgency, around_the_clock, acknowledge, first_contact, service_start in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            urgency=urgency,
            category="",
            defaults={
                "around_the_clock": around_the_clock,
                "acknowledge_amount": acknowledge[0],
                "acknowledge_unit": acknowledge[1],
                "first_contact_amount": first_contact[0],
                "first_contact_unit": first_contact[1],
                "service_start_amount": service_start[0],
                "service_start_unit": service_start[1],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
