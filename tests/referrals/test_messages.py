"""Refusals read as plain sentences people can act on."""

import pytest

from referrals.errors import WrongSide
from referrals.services import referral_transition
from referrals.workflow import TRANSITIONS


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_every_transition_says_what_it_does(name):
    verb = TRANSITIONS[name].verb
    assert verb and verb == verb.lower() and "referral" in verb


def test_wrong_side__names_the_side_and_the_step(make_referral, provider_intake, case_manager):
    sent = make_referral("sent")
    with pytest.raises(WrongSide) as refused:
        referral_transition(actor=provider_intake, referral=sent, name="cancel", reason_code="client-request")
    assert refused.value.message == "Only the referring agency can cancel this referral."
    with pytest.raises(WrongSide) as refused:
        referral_transition(actor=case_manager, referral=sent, name="acknowledge")
    assert refused.value.message == "Only the receiving provider can acknowledge this referral."


def test_missing_role__names_the_role(make_referral, case_manager):
    sent = make_referral("sent")
    with pytest.raises(WrongSide) as refused:
        referral_transition(actor=case_manager, referral=sent, name="mark_entered_in_error", note="Wrong client")
    assert refused.value.message == "Only a county supervisor can mark this referral entered in error."
