"""A partner endpoint that keeps failing raises one partner-downtime exception for the right team."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import override_settings

from exceptionqueue.models import ExceptionItem
from tests.factories import WebhookEndpointFactory
from tests.webhooks.test_delivery import START, make_delivery
from webhooks.delivery import delivery_attempt
from webhooks.downtime import partner_downtime_check


def _fail(endpoint, fake_post, times: int, *, start=START, every=datetime.timedelta(seconds=1), status=503):
    """`times` failed first attempts of fresh deliveries, `every` apart."""
    fake_post.answer(*[status] * times)
    for index in range(times):
        with time_machine.travel(start + index * every, tick=False):
            delivery_attempt(delivery_id=make_delivery(endpoint).pk)


def _downtime():
    return ExceptionItem.objects.filter(kind="partner-downtime")


def test_downtime__five_failures_in_a_row_raise_one_exception(provider_endpoint, fake_post, provider):
    _fail(provider_endpoint, fake_post, 4)
    assert not _downtime().exists()
    _fail(provider_endpoint, fake_post, 1, start=START + datetime.timedelta(minutes=1))
    item = _downtime().get()
    assert (item.owner_organization_id, item.owner_role, item.status) == (provider.pk, "provider_supervisor", "open")
    assert item.severity == "high"
    assert item.dedupe_key == f"webhook-endpoint:{provider_endpoint.pk}"
    assert item.concerning_id == str(provider_endpoint.pk)
    assert item.detail["failed_attempts"] == 5 and item.detail["last_error"] == "HTTP 503"
    # More failures while it is open add nothing.
    _fail(provider_endpoint, fake_post, 3, start=START + datetime.timedelta(minutes=2))
    assert _downtime().count() == 1


def test_downtime__failing_for_an_hour_raises_even_with_few_attempts(provider_endpoint, fake_post):
    _fail(provider_endpoint, fake_post, 2, every=datetime.timedelta(minutes=30))
    assert not _downtime().exists()
    _fail(provider_endpoint, fake_post, 1, start=START + datetime.timedelta(hours=1))
    assert _downtime().count() == 1


def test_downtime__a_success_starts_the_count_again(provider_endpoint, fake_post):
    _fail(provider_endpoint, fake_post, 4)
    fake_post.answer(200)
    with time_machine.travel(START + datetime.timedelta(minutes=1), tick=False):
        delivery_attempt(delivery_id=make_delivery(provider_endpoint).pk)
    _fail(provider_endpoint, fake_post, 4, start=START + datetime.timedelta(minutes=2))
    assert not _downtime().exists()


@override_settings(WEBHOOK_DOWNTIME_FAILURES=2)
def test_downtime__threshold_is_a_setting(provider_endpoint, fake_post):
    _fail(provider_endpoint, fake_post, 2)
    assert _downtime().count() == 1


def test_downtime__an_agency_endpoint_goes_to_its_county_supervisors(county, fake_post):
    endpoint = WebhookEndpointFactory(organization=county)
    _fail(endpoint, fake_post, 5)
    item = _downtime().get()
    assert (item.owner_organization_id, item.owner_role) == (county.pk, "county_supervisor")


def test_downtime__each_endpoint_has_its_own(provider_endpoint, fake_post, provider):
    second = WebhookEndpointFactory(organization=provider)
    _fail(provider_endpoint, fake_post, 5)
    _fail(second, fake_post, 5, start=START + datetime.timedelta(minutes=5))
    assert set(_downtime().values_list("concerning_id", flat=True)) == {str(provider_endpoint.pk), str(second.pk)}


def test_downtime__a_410_is_a_goodbye_not_downtime(provider_endpoint, fake_post):
    _fail(provider_endpoint, fake_post, 4)
    _fail(provider_endpoint, fake_post, 1, start=START + datetime.timedelta(minutes=1), status=410)
    provider_endpoint.refresh_from_db()
    assert provider_endpoint.active is False
    assert not _downtime().exists()


@pytest.mark.parametrize("failures", [0, 1])
def test_downtime__check_is_quiet_without_a_failing_streak(provider_endpoint, fake_post, failures):
    _fail(provider_endpoint, fake_post, failures)
    assert partner_downtime_check(endpoint_id=provider_endpoint.pk) is None
