import pytest

from tests.factories import PATH_TO_STATUS


@pytest.mark.parametrize("status", list(PATH_TO_STATUS))
def test_reach(status, make_referral):
    r = make_referral(status)
    assert r.status == status
