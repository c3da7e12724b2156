import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.urls import path
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView

from clients.models import Client
from coordination.access import Action, policy_for
from coordination.api.viewsets import AccessReadOnlyViewSet
from coordination.checks import api_view_errors, check_models_have_access_policies, portal_models
from providers.models import Service
from tests.factories import ClientFactory, ServiceFactory


def test_every_portal_model_has_an_access_policy_and_manager():
    models = list(portal_models())
    assert {m._meta.label for m in models} >= {"clients.Client", "providers.Service", "audit.AuditEvent"}
    for model in models:
        assert policy_for(model) is not None
        assert hasattr(model._default_manager.all(), "visible_to"), model
    assert check_models_have_access_policies() == []


def test_system_check_passes_for_the_project():
    call_command("check", "--fail-level", "WARNING")


@pytest.mark.django_db
def test_visible_to__anonymous_and_inactive_users_see_nothing(case_manager, county):
    ClientFactory(organization=county)
    ServiceFactory()
    assert Client.objects.visible_to(AnonymousUser()).count() == 0
    assert Service.objects.visible_to(None).count() == 0
    case_manager.is_active = False
    assert Client.objects.visible_to(case_manager).count() == 0


@pytest.mark.django_db
def test_visible_to__superuser_is_not_a_shortcut_to_client_records(superuser, county):
    ClientFactory(organization=county)
    assert Client.objects.visible_to(superuser).count() == 0


@pytest.mark.django_db
def test_visible_to__membership_scopes_clients(case_manager, provider_intake, county, provider):
    own = ClientFactory(organization=county)
    ClientFactory(organization=provider)
    assert list(Client.objects.visible_to(case_manager)) == [own]
    assert own not in Client.objects.visible_to(provider_intake)


@pytest.mark.django_db
def test_visible_to__deactivated_membership_loses_access_on_next_query(case_manager, county):
    from providers.services import membership_revoke

    ClientFactory(organization=county)
    assert Client.objects.visible_to(case_manager).count() == 1
    membership_revoke(actor=None, membership=case_manager.memberships.get())
    assert Client.objects.visible_to(case_manager).count() == 0


@pytest.mark.django_db
def test_visible_to__inactive_organization_grants_nothing(case_manager, county):
    ClientFactory(organization=county)
    county.active = False
    county.save()
    assert Client.objects.visible_to(case_manager).count() == 0


@pytest.mark.django_db
def test_visible_to__data_steward_may_view_but_not_add(data_steward, county):
    ClientFactory(organization=county)
    assert Client.objects.visible_to(data_steward, Action.VIEW).count() == 1
    assert Client.objects.visible_to(data_steward, Action.DELETE).count() == 0


def test_visible_to__is_one_sql_query(django_assert_num_queries, case_manager, county):
    ClientFactory.create_batch(3, organization=county)
    with django_assert_num_queries(1):
        assert len(list(Client.objects.visible_to(case_manager))) == 3


class _BypassingView(ListAPIView):
    queryset = Service.objects.all()


class _OverridingViewSet(AccessReadOnlyViewSet):
    queryset = Service.objects.all()

    def get_queryset(self):
        return Service.objects.all()


class _UndeclaredActionViewSet(AccessReadOnlyViewSet):
    queryset = Service.objects.all()

    @action(detail=True, methods=["post"])
    def poke(self, request, pk=None):
        raise AssertionError


class _GoodViewSet(AccessReadOnlyViewSet):
    queryset = Service.objects.all()

    @action(detail=True, methods=["post"], access_action=Action.CHANGE)
    def poke(self, request, pk=None):
        raise AssertionError


def test_checks__flag_views_that_bypass_the_access_layer():
    errors = api_view_errors([path("bypass/", _BypassingView.as_view())])
    assert [e.id for e in errors] == ["coordination.E003"]


def test_checks__flag_viewsets_overriding_get_queryset():
    errors = api_view_errors([path("override/", _OverridingViewSet.as_view({"get": "list"}))])
    assert [e.id for e in errors] == ["coordination.E004"]


def test_checks__flag_custom_actions_without_access_action():
    errors = api_view_errors([path("poke/", _UndeclaredActionViewSet.as_view({"post": "poke"}))])
    assert [e.id for e in errors] == ["coordination.E005"]
    assert api_view_errors([path("poke/", _GoodViewSet.as_view({"post": "poke"}))]) == []


def test_checks__flag_a_model_without_policy(monkeypatch):
    from coordination import access

    monkeypatch.delitem(access._registry, Service)
    errors = check_models_have_access_policies()
    assert [(e.id, e.obj) for e in errors] == [("coordination.E001", Service)]
