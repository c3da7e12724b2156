from coordination.context import acting_as
from tests.factories import OrganizationFactory


def test_history__records_acting_user_outside_requests(case_manager):
    with acting_as(case_manager, source="task"):
        organization = OrganizationFactory(slug="from-a-task")
        organization.phone = "541-555-0199"
        organization.save()
    assert [h.history_user for h in organization.history.all()] == [case_manager, case_manager]


def test_history__no_actor_means_no_user(db):
    organization = OrganizationFactory(slug="from-a-migration")
    assert organization.history.get().history_user is None
