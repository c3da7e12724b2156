"""Due times in business time: hours, business days and calendar days, weekends, holidays, crisis around the
clock, daylight-saving changes, per-organization hours and per-need policies (sla/calendar.py, sla/policy.py).

Dates: Friday May 1, 2026 and the weeks around it; DST began March 8, 2026 and ended November 1, 2026 in
America/Los_Angeles. Referrals are sent under time-machine through the real workflow service.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from referrals.services import referral_transition
from sla.holidays import us_federal_holidays
from sla.models import Holiday, OpeningHours, SlaPolicy
from sla.policy import due_times, second_escalation_at
from tests.factories import OrganizationFactory, ServiceFactory

from .conftest import local, wall

pytestmark = pytest.mark.django_db

FRI_17 = local(2026, 5, 1, 17)


def due(referral) -> tuple:
    return (wall(referral.acknowledge_due_at), wall(referral.first_contact_due_at), wall(referral.service_start_due_at))


def naive(*args) -> datetime.datetime:
    return datetime.datetime(*args)


# --- the default hours: Monday to Friday 08:00-18:00 ---------------------------------------------------------


def test_routine__friday_17h_is_due_tuesday_17h(send_at):
    referral = send_at(FRI_17, urgency="routine")
    assert wall(referral.sent_at) == naive(2026, 5, 1, 17)
    # 2 business days (Mon, Tue), 5 business days (Mon..Fri), 30 calendar days.
    assert due(referral) == (naive(2026, 5, 5, 17), naive(2026, 5, 8, 17), naive(2026, 5, 31, 17))


@pytest.mark.parametrize(
    "sent",
    [local(2026, 5, 1, 19), local(2026, 5, 2, 10), local(2026, 5, 3, 23, 59), local(2026, 5, 4, 7)],
    ids=["friday-after-hours", "saturday", "sunday-night", "monday-before-opening"],
)
def test_routine__sent_while_closed_counts_from_the_last_closing(sent, send_at):
    # Nothing counts between Friday 18:00 and Monday 08:00: all of these are Friday 18:00 in business time.
    referral = send_at(sent, urgency="routine")
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 5, 18)


def test_urgent__hours_count_only_while_open(send_at):
    referral = send_at(FRI_17, urgency="urgent")
    # 4 business hours: 1 on Friday, 3 on Monday; 1 business day; 7 calendar days.
    assert due(referral) == (naive(2026, 5, 4, 11), naive(2026, 5, 4, 17), naive(2026, 5, 8, 17))


def test_urgent__sent_on_saturday_starts_at_monday_opening(send_at):
    referral = send_at(local(2026, 5, 2, 10), urgency="urgent")
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 4, 12)


def test_business_hours__ending_at_closing_is_due_at_closing_not_next_opening(send_at):
    referral = send_at(local(2026, 5, 1, 14), urgency="urgent")
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 1, 18)


# --- holidays -------------------------------------------------------------------------------------------------


def test_holiday__memorial_day_is_skipped(send_at):
    Holiday.objects.create(date=datetime.date(2026, 5, 25), name="Memorial Day")
    referral = send_at(local(2026, 5, 22, 17), urgency="routine")
    # Monday the 25th does not count: Tuesday, Wednesday.
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 27, 17)


def test_holiday__business_hours_skip_it_too(send_at):
    Holiday.objects.create(date=datetime.date(2026, 5, 4), name="Closed")
    referral = send_at(FRI_17, urgency="urgent")
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 5, 11)


def test_holiday__an_organizations_own_closure_counts_only_for_it(send_at, provider, service):
    Holiday.objects.create(date=datetime.date(2026, 5, 4), name="Staff training", organization=provider)
    elsewhere = ServiceFactory(organization=OrganizationFactory(slug="elsewhere"), postal_codes=["97401"])
    closed = send_at(FRI_17, urgency="routine", service=service)
    open_ = send_at(FRI_17, urgency="routine", service=elsewhere)
    assert wall(closed.acknowledge_due_at) == naive(2026, 5, 6, 17)
    assert wall(open_.acknowledge_due_at) == naive(2026, 5, 5, 17)


def test_holiday__calendar_days_ignore_holidays(send_at):
    Holiday.objects.create(date=datetime.date(2026, 5, 31), name="Closed")
    referral = send_at(FRI_17, urgency="routine")
    assert wall(referral.service_start_due_at) == naive(2026, 5, 31, 17)


def test_us_federal_holidays__2026_with_observed_days():
    days = dict(us_federal_holidays(2026))
    assert days[datetime.date(2026, 7, 3)] == "Independence Day (observed)"  # July 4 is a Saturday
    assert days[datetime.date(2026, 5, 25)] == "Memorial Day"
    assert days[datetime.date(2026, 11, 26)] == "Thanksgiving Day"
    assert days[datetime.date(2026, 1, 19)] == "Birthday of Martin Luther King, Jr."
    assert len(days) == 11


# --- crisis: around the clock ----------------------------------------------------------------------------------


def test_crisis__counts_nights_and_weekends(send_at):
    referral = send_at(local(2026, 5, 2, 23, 30), urgency="crisis")  # Saturday night
    assert due(referral) == (naive(2026, 5, 3, 0, 30), naive(2026, 5, 3, 3, 30), naive(2026, 5, 5, 23, 30))


def test_crisis__holidays_do_not_pause_it(send_at):
    Holiday.objects.create(date=datetime.date(2026, 5, 4), name="Closed")
    referral = send_at(local(2026, 5, 4, 9), urgency="crisis")
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 4, 10)


# --- daylight saving -------------------------------------------------------------------------------------------


def test_dst_spring_forward__crisis_hours_are_real_hours(send_at):
    sent = local(2026, 3, 8, 1, 30)  # PST; at 02:00 the clocks jump to 03:00 PDT
    referral = send_at(sent, urgency="crisis")
    assert referral.acknowledge_due_at - referral.sent_at == datetime.timedelta(hours=1)
    assert wall(referral.acknowledge_due_at) == naive(2026, 3, 8, 3, 30)
    assert wall(referral.first_contact_due_at) == naive(2026, 3, 8, 6, 30)
    # Three calendar days keep the wall-clock time: only 71 real hours this time.
    assert wall(referral.service_start_due_at) == naive(2026, 3, 11, 1, 30)
    assert referral.service_start_due_at - referral.sent_at == datetime.timedelta(hours=71)


def test_dst_spring_forward__business_hours_across_the_weekend(send_at):
    referral = send_at(local(2026, 3, 6, 17), urgency="urgent")  # Friday PST
    assert wall(referral.acknowledge_due_at) == naive(2026, 3, 9, 11)  # Monday PDT


def test_dst_fall_back__business_days_keep_the_time_of_day(send_at):
    referral = send_at(local(2026, 10, 30, 17), urgency="routine")  # Friday PDT
    assert wall(referral.acknowledge_due_at) == naive(2026, 11, 3, 17)  # Tuesday PST
    assert referral.acknowledge_due_at.utcoffset() is not None


def test_dst__an_open_all_day_organization_counts_the_short_day_as_23_hours(send_at, provider):
    OpeningHours.objects.create(
        organization=provider, weekday=6, opens=datetime.time(0), closes=datetime.time(0)
    )  # Sundays 00:00-24:00 only
    referral = send_at(local(2026, 3, 8, 0, 0), urgency="urgent")
    # 4 real hours from 00:00 PST is 05:00 PDT on the wall clock.
    assert referral.acknowledge_due_at - referral.sent_at == datetime.timedelta(hours=4)
    assert wall(referral.acknowledge_due_at) == naive(2026, 3, 8, 5)


# --- per-organization hours -----------------------------------------------------------------------------------


def _hours(organization, days, opens, closes):
    for day in days:
        OpeningHours.objects.create(
            organization=organization, weekday=day, opens=datetime.time(*opens), closes=datetime.time(*closes)
        )


def test_organization_hours__replace_the_default_week(send_at, provider):
    _hours(provider, range(1, 6), (10,), (16,))  # Tuesday to Saturday, 10:00-16:00
    referral = send_at(local(2026, 5, 1, 15), urgency="urgent")  # Friday 15:00
    # 1 hour on Friday, 3 on Saturday; 1 business day: Saturday 15:00.
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 2, 13)
    assert wall(referral.first_contact_due_at) == naive(2026, 5, 2, 15)


def test_organization_hours__other_organizations_keep_theirs(send_at, provider):
    _hours(provider, range(1, 6), (10,), (16,))
    elsewhere = ServiceFactory(organization=OrganizationFactory(slug="default-hours"), postal_codes=["97401"])
    referral = send_at(local(2026, 5, 1, 15), urgency="urgent", service=elsewhere)
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 4, 9)


def test_organization_hours__a_lunch_closure_does_not_count(send_at, provider):
    _hours(provider, range(5), (8,), (12,))
    _hours(provider, range(5), (13,), (17,))
    referral = send_at(local(2026, 5, 4, 11), urgency="urgent")  # Monday 11:00
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 4, 16)


def test_organization_hours__business_day_due_after_an_early_closing_is_that_closing(send_at, provider):
    _hours(provider, range(4), (8,), (18,))
    _hours(provider, [4], (8,), (14,))  # Fridays close at 14:00
    referral = send_at(local(2026, 4, 29, 16), urgency="routine")  # Wednesday 16:00
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 1, 14)


def test_opening_hours__closing_must_follow_opening(provider):
    hours = OpeningHours(organization=provider, weekday=0, opens=datetime.time(18), closes=datetime.time(8))
    with pytest.raises(ValidationError):
        hours.full_clean()
    with pytest.raises(IntegrityError):
        hours.save()


# --- policies: the most specific row wins ------------------------------------------------------------------


def test_policy__a_need_specific_row_wins_over_any_need(send_at, provider, service):
    SlaPolicy.objects.create(
        urgency="routine",
        category="food-insecurity",
        acknowledge_amount=1,
        acknowledge_unit="business_days",
        first_contact_amount=3,
        first_contact_unit="business_days",
        service_start_amount=10,
        service_start_unit="days",
    )
    housing = ServiceFactory(organization=provider, category="housing-instability", postal_codes=["97401"])
    food = send_at(FRI_17, urgency="routine", service=service)
    other_need = send_at(FRI_17, urgency="routine", service=housing)
    assert (food.category, other_need.category) == ("food-insecurity", "housing-instability")
    assert due(food) == (naive(2026, 5, 4, 17), naive(2026, 5, 6, 17), naive(2026, 5, 11, 17))
    assert due(other_need) == (naive(2026, 5, 5, 17), naive(2026, 5, 8, 17), naive(2026, 5, 31, 17))


def test_policy__a_need_specific_row_for_another_urgency_does_not_apply(send_at):
    SlaPolicy.objects.create(
        urgency="urgent",
        category="food-insecurity",
        acknowledge_amount=1,
        acknowledge_unit="hours",
        first_contact_amount=1,
        first_contact_unit="hours",
        service_start_amount=1,
        service_start_unit="days",
    )
    referral = send_at(FRI_17, urgency="routine")
    assert wall(referral.acknowledge_due_at) == naive(2026, 5, 5, 17)


def test_policy__edited_in_the_admin_applies_to_referrals_sent_afterwards(send_at, provider_intake):
    before = send_at(FRI_17, urgency="routine")
    SlaPolicy.objects.filter(urgency="routine", category="").update(acknowledge_amount=3)
    after = send_at(FRI_17, urgency="routine")
    assert (wall(before.acknowledge_due_at), wall(after.acknowledge_due_at)) == (
        naive(2026, 5, 5, 17),
        naive(2026, 5, 6, 17),
    )
    # Later steps never move a sent referral's due times (the clocks run from sending, accept included).
    accepted = referral_transition(actor=provider_intake, referral=before, name="accept")
    assert due(accepted) == due(before)


def test_policy__without_rows_the_built_in_defaults_apply(provider):
    SlaPolicy.objects.all().delete()
    times = due_times(urgency="routine", category="", organization_id=provider.pk, sent_at=FRI_17)
    assert wall(times["acknowledge"]) == naive(2026, 5, 5, 17)


def test_policy__around_the_clock_refuses_business_days():
    policy = SlaPolicy(
        urgency="crisis",
        category="housing-instability",
        around_the_clock=True,
        acknowledge_amount=1,
        acknowledge_unit="business_days",
        first_contact_amount=1,
        first_contact_unit="hours",
        service_start_amount=1,
        service_start_unit="days",
    )
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert set(refused.value.message_dict) == {"acknowledge_unit"}


def test_policy__defaults_are_in_the_database_after_migrate():
    rows = {p.urgency: p for p in SlaPolicy.objects.filter(category="")}
    assert (rows["crisis"].around_the_clock, rows["crisis"].acknowledge_amount, rows["crisis"].acknowledge_unit) == (
        True,
        1,
        "hours",
    )
    assert (rows["urgent"].first_contact_amount, rows["urgent"].first_contact_unit) == (1, "business_days")
    assert (rows["routine"].acknowledge_amount, rows["routine"].acknowledge_unit) == (2, "business_days")
    assert (rows["routine"].service_start_amount, rows["routine"].service_start_unit) == (30, "days")


# --- the second escalation --------------------------------------------------------------------------------


def test_second_escalation__the_same_target_again_after_the_due_time(send_at):
    referral = send_at(FRI_17, urgency="routine")
    level_2 = second_escalation_at(referral, "acknowledge", referral.acknowledge_due_at)
    assert wall(level_2) == naive(2026, 5, 7, 17)  # Tuesday 17:00 + 2 business days


def test_second_escalation__the_multiplier_stretches_it(send_at):
    SlaPolicy.objects.filter(urgency="crisis", category="").update(escalation_multiplier=3)
    referral = send_at(FRI_17, urgency="crisis")
    level_2 = second_escalation_at(referral, "acknowledge", referral.acknowledge_due_at)
    assert level_2 - referral.acknowledge_due_at == datetime.timedelta(hours=3)
