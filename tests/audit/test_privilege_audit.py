"""Privilege changes and governance's own reads leave audit rows: admin flags, groups, object permissions."""

import pytest
from django.contrib.auth.models import Group

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from referrals.assignment import referral_grants_set
from referrals.errors import WrongSide
from referrals.models import ReferralUserObjectPermission
from tests.factories import UserFactory
from tests.factories import audit_event as make_event

pytestmark = pytest.mark.django_db


def _rows(action, **filters):
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("sequence"))


# --- admin flags, groups and permissions on users ------------------------------------------------------------


def test_superuser_and_staff_flags__each_change_is_audited():
    user = UserFactory(username="flagged")
    assert _rows(AuditAction.ADMIN_PRIVILEGE_CHANGED) == []  # a plain new account grants nothing

    user.is_superuser = True
    user.save()
    user.is_staff = True
    user.is_superuser = False
    user.save(update_fields=["is_staff", "is_superuser"])

    first, second = _rows(AuditAction.ADMIN_PRIVILEGE_CHANGED, target_id=str(user.pk))
    assert first.detail["changed"] == {"is_superuser": {"before": False, "after": True}}
    assert second.detail["changed"] == {
        "is_staff": {"before": False, "after": True},
        "is_superuser": {"before": True, "after": False},
    }


def test_new_superuser_is_audited():
    user = UserFactory(username="root2", is_superuser=True)

    (row,) = _rows(AuditAction.ADMIN_PRIVILEGE_CHANGED, target_id=str(user.pk))
    assert row.detail["changed"] == {"is_superuser": {"before": None, "after": True}}


def test_group_added_and_removed_by_hand__audited_both_ways():
    user = UserFactory(username="grouped")
    group = Group.objects.create(name="extra powers")

    user.groups.add(group)
    group.user_set.remove(user)  # the reverse side too

    added, removed = _rows(AuditAction.ADMIN_PRIVILEGE_CHANGED, target_id=str(user.pk))
    assert added.detail["groups"] == {"add": ["extra powers"]}
    assert removed.detail["groups"] == {"remove": ["extra powers"]}


def test_membership_role_groups__not_audited_twice(case_manager):
    # The role group came with the membership, whose grant row already says so.
    assert _rows(AuditAction.ADMIN_PRIVILEGE_CHANGED, target_id=str(case_manager.pk)) == []
    assert len(_rows(AuditAction.MEMBERSHIP_GRANTED, target_repr__contains="cm")) == 1


def test_admin_user_form__superuser_tick_is_audited(client, governance_lead):
    target = UserFactory(username="promoted")
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    response = client.post(
        f"/admin/auth/user/{target.pk}/change/",
        {
            "username": "promoted",
            "is_active": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    (row,) = _rows(AuditAction.ADMIN_PRIVILEGE_CHANGED, target_id=str(target.pk))
    assert row.detail["changed"]["is_superuser"] == {"before": False, "after": True}
    assert row.source == "admin" and row.actor.username == "root"


# --- one audit event opened in the admin ----------------------------------------------------------------------


def test_opening_one_audit_event__is_itself_audited(client, governance_lead, case_manager):
    event = make_event(actor=case_manager, client_id="11111111-1111-4111-8111-111111111111")
    client.force_login(governance_lead)

    response = client.get(f"/admin/audit/auditevent/{event.pk}/change/")

    assert response.status_code == 200
    (row,) = _rows(AuditAction.AUDIT_EVENT_VIEWED)
    assert (row.actor, row.target_id, str(row.client_id)) == (governance_lead, str(event.pk), str(event.client_id))


def test_opening_one_audit_event__refused_to_non_governance(client, case_manager):
    event = make_event(actor=case_manager)
    client.force_login(case_manager)

    response = client.get(f"/admin/audit/auditevent/{event.pk}/change/")

    assert response.status_code in (302, 403)
    assert _rows(AuditAction.AUDIT_EVENT_VIEWED) == []


# --- django-guardian object permissions on referrals, in the admin ---------------------------------------------


def _grants(referral, user):
    return set(
        ReferralUserObjectPermission.objects.filter(content_object=referral, user=user).values_list(
            "permission__codename", flat=True
        )
    )


def test_grants_service__sets_exactly_and_audits_each_change(make_referral, governance_lead, county_supervisor):
    referral = make_referral("sent")

    referral_grants_set(
        actor=governance_lead, referral=referral, user=county_supervisor, codenames={"view_referral", "change_referral"}
    )
    referral_grants_set(actor=governance_lead, referral=referral, user=county_supervisor, codenames={"view_referral"})

    assert _grants(referral, county_supervisor) == {"view_referral"}
    granted = _rows(AuditAction.OBJECT_PERMISSION_GRANTED, target_id=str(referral.pk))
    (revoked,) = _rows(AuditAction.OBJECT_PERMISSION_REVOKED, target_id=str(referral.pk))
    assert sorted(r.detail["permission"] for r in granted) == ["change_referral", "view_referral"]
    assert revoked.detail["permission"] == "change_referral" and revoked.client_id == referral.client_id
    assert revoked.detail["user"] == str(county_supervisor.pk) and revoked.actor == governance_lead


def test_grants_service__refused_to_non_governance_and_for_unknown_permissions(
    make_referral, case_manager, governance_lead, county_supervisor
):
    referral = make_referral("sent")

    with pytest.raises(WrongSide):
        referral_grants_set(actor=case_manager, referral=referral, user=county_supervisor, codenames={"view_referral"})
    with pytest.raises(Exception, match="Not a referral permission"):
        referral_grants_set(
            actor=governance_lead, referral=referral, user=county_supervisor, codenames={"delete_referral"}
        )
    assert _grants(referral, county_supervisor) == set()


def test_guardian_admin__governance_grants_through_the_form(client, make_referral, governance_lead, county_supervisor):
    referral = make_referral("sent")
    client.force_login(governance_lead)
    base = f"/admin/referrals/referral/{referral.pk}/permissions/"

    assert client.get(base).status_code == 200
    page = client.get(f"{base}user-manage/{county_supervisor.pk}/")
    assert page.status_code == 200
    offered = {value for value, _ in page.context["form"].fields["permissions"].choices}
    assert offered == {"view_referral", "change_referral"}

    response = client.post(f"{base}user-manage/{county_supervisor.pk}/", {"permissions": ["view_referral"]})

    assert response.status_code == 302
    assert _grants(referral, county_supervisor) == {"view_referral"}
    (row,) = _rows(AuditAction.OBJECT_PERMISSION_GRANTED)
    assert row.source == "admin" and row.actor == governance_lead


def test_guardian_admin__grant_to_someone_without_membership_shows_the_error(
    client, make_referral, governance_lead, no_role_user
):
    referral = make_referral("sent")
    client.force_login(governance_lead)
    url = f"/admin/referrals/referral/{referral.pk}/permissions/user-manage/{no_role_user.pk}/"

    response = client.post(url, {"permissions": ["view_referral"]}, follow=True)

    assert "active staff of a member organization" in response.content.decode()
    assert _grants(referral, no_role_user) == set()


def test_guardian_admin__group_grants_refused(client, make_referral, governance_lead):
    referral = make_referral("sent")
    group = Group.objects.create(name="anyone")
    client.force_login(governance_lead)

    url = f"/admin/referrals/referral/{referral.pk}/permissions/group-manage/{group.pk}/"
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("who", ["case_manager", "provider_intake", "no_role_user"])
def test_guardian_admin__others_refused(request, client, make_referral, who):
    referral = make_referral("sent")
    client.force_login(request.getfixturevalue(who))

    response = client.get(f"/admin/referrals/referral/{referral.pk}/permissions/")

    assert response.status_code in (302, 403)


def test_guardian_admin__referral_the_lead_cannot_see_is_404_and_audited(
    client, governance_lead, other_provider, other_provider_intake
):
    from tests.factories import ReferralFactory

    hidden = ReferralFactory(referring_organization=other_provider)
    client.force_login(governance_lead)

    response = client.get(f"/admin/referrals/referral/{hidden.pk}/permissions/")

    assert response.status_code == 404
    (row,) = _rows(AuditAction.OBJECT_ACCESS_DENIED)
    assert row.outcome == Outcome.DENIED and row.detail["model"] == "referrals.Referral"
