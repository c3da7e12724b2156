"""Access policies for the directory and memberships, and the membership helpers others build on."""

from django.db.models import Q, QuerySet

from coordination.access import EVERYTHING, NOTHING, AccessPolicy, Action, register
from coordination.roles import roles_granting

from .models import Location, Membership, Organization, PostalCode, Service, ServiceArea, ServiceLanguage


def organizations_granting(user, perm: str) -> QuerySet:
    """Ids of active organizations where `user` holds an active role that carries `perm`.

    A subquery, so policies built on it stay one SQL statement however many rows they filter.
    """
    return Membership.objects.filter(
        user_id=user.pk, active=True, organization__active=True, role__in=roles_granting(perm)
    ).values("organization_id")


def holds_permission(user, perm: str, organization: Organization | None = None) -> bool:
    """Whether `user` has `perm` through an active role (at `organization`, if given)."""
    scope = organizations_granting(user, perm)
    if organization is not None:
        scope = scope.filter(organization_id=organization.pk)
    return scope.exists()


def _perm(model, action: Action) -> str:
    return f"{model._meta.app_label}.{action.value}_{model._meta.model_name}"


class DirectoryPolicy(AccessPolicy):
    """Anyone signed in reads the directory; an organization's supervisors maintain its listings."""

    organization_path = "organization"
    perm_model: type = Service

    def q(self, user, action: Action) -> Q:
        if action == Action.VIEW:
            return EVERYTHING
        if action == Action.DELETE:
            return NOTHING
        # Adding and changing a listing's parts both need the right to change the listing.
        perm = _perm(self.perm_model, Action.CHANGE)
        return Q(**{f"{self.organization_path}_id__in": organizations_granting(user, perm)})


@register(Organization)
class OrganizationPolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        # Organizations themselves are governed in the admin; the portal only reads them.
        return EVERYTHING if action == Action.VIEW else NOTHING


@register(PostalCode)
class PostalCodePolicy(AccessPolicy):
    def q(self, user, action: Action) -> Q:
        return EVERYTHING if action == Action.VIEW else NOTHING


@register(Service)
class ServicePolicy(DirectoryPolicy):
    pass


@register(Location)
class LocationPolicy(DirectoryPolicy):
    perm_model = Location


@register(ServiceLanguage)
class ServiceLanguagePolicy(DirectoryPolicy):
    organization_path = "service__organization"


@register(ServiceArea)
class ServiceAreaPolicy(DirectoryPolicy):
    organization_path = "service__organization"


@register(Membership)
class MembershipPolicy(AccessPolicy):
    """Everyone sees their own memberships; supervisors see their organization's staff."""

    def q(self, user, action: Action) -> Q:
        scoped = Q(organization_id__in=organizations_granting(user, _perm(Membership, action)))
        if action == Action.VIEW:
            return Q(user_id=user.pk) | scoped
        return scoped
