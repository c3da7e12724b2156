"""Every add, change and delete saved in the admin is in the audit trail (coordination/admin_audit.py)."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from audit.models import AuditEvent
from coordination.admin_audit import AuditedAdminMixin
from sla.models import Holiday

pytestmark = pytest.mark.django_db


def test_every_registered_admin_records_its_saves():
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdminMixin)
    ]
    assert unaudited == []


def _rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_add_change_and_delete_in_the_admin_are_audited(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:sla_holiday_add"), {"date": "2026-12-25", "name": "Christmas Day", "organization": ""}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    holiday = Holiday.objects.get(name="Christmas Day")
    [added] = _rows("admin.added")
    assert (added.actor, added.target_type, added.target_id) == (superuser, "sla.Holiday", str(holiday.pk))
    assert added.detail["model"] == "sla.Holiday"
    assert (added.action_code, added.source) == ("C", "admin")

    response = client.post(
        reverse("admin:sla_holiday_change", args=[holiday.pk]),
        {"date": "2026-12-26", "name": "Christmas Day (observed)", "organization": ""},
    )
    assert response.status_code == 302
    [changed] = _rows("admin.changed")
    assert changed.target_id == str(holiday.pk)
    assert changed.detail["change_message"] == [{"changed": {"fields": ["Date", "Name"]}}]

    response = client.post(reverse("admin:sla_holiday_delete", args=[holiday.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    [deleted] = _rows("admin.deleted")
    assert (deleted.target_id, deleted.action_code) == (str(holiday.pk), "D")
    assert deleted.target_repr == "2026-12-26 Christmas Day (observed)"


def test_bulk_delete_action_leaves_one_row_per_object(client, superuser):
    first = Holiday.objects.create(date=datetime.date(2026, 7, 3), name="Observed")
    second = Holiday.objects.create(date=datetime.date(2026, 7, 4), name="Independence Day")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:sla_holiday_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Holiday.objects.exists()
    assert sorted(row.target_id for row in _rows("admin.deleted")) == sorted([str(first.pk), str(second.pk)])
