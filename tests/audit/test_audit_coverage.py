"""Audit coverage: every route that shows client data leaves exactly one audit row per request.

`ROUTES` classifies every named URL of the project: `Shows` (a recipe: who reads it, what it shows, how
to call it) or `NoClientData` (why not). A route missing from the table fails
`test_every_route_is_classified`, so a route added later cannot escape the audit.

For each `Shows` route, three tests:
- the recipe's viewer gets it and exactly one audit row is written, naming the viewer and the client;
- the outsider (another organization) gets the same answer as for a missing object (404), a 403 for a
  list they may not use, or a list without the client; a refusal writes exactly one `denied` row;
- an anonymous caller is sent to sign in (pages) or gets 401 (API) and sees nothing.

Known product bugs are strict xfails (see `Shows.bugs`): when one is fixed its xfail fails, so the
marker has to go.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter

import pytest
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent

DENIED = AuditAction.OBJECT_ACCESS_DENIED


@dataclass(frozen=True)
class Shows:
    """A route that shows client data, and how to call it.

    `shows`, `url` and `data` take the `CoverageWorld` (tests/audit/conftest.py). `shows` builds the object
    the route shows (always about the world's client); `url` answers URL kwargs (a dict) or positional
    args (a tuple). `outsider_gets`: 404 (same as missing), 302 (the admin's answer for a
    missing object: back to the index), 403 (a list route the outsider may not use) or 200 (a list that
    simply leaves the client out). `bugs` maps a case ("viewer", "outsider", "anonymous") to the reason
    it is a strict xfail.
    """

    viewer: str
    url: Callable = lambda w: {}
    shows: Callable = attrgetter("person")
    method: str = "get"
    data: Callable | None = None
    ok: int = 200
    outsider: str = "other_provider_intake"
    outsider_gets: int = 404
    denied_action: str = DENIED
    bugs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoClientData:
    reason: str


def pk_of(name: str, kwarg: str = "pk") -> Callable:
    """URL kwargs naming the world's object `name`."""
    return lambda w: {kwarg: getattr(w, name).pk}


def admin_object(name: str) -> Callable:
    return pk_of(name, "object_id")


def admin_version(name: str) -> Callable:
    """simple-history's version page takes positional args: the object and its latest version."""
    return lambda w: (getattr(w, name).pk, w.latest_version(getattr(w, name)))


# --- reasons shared by several routes ---------------------------------------------------------------------
WEBHOOKS = "partner webhook endpoints and delivery logs; payloads are thin, ids only (webhooks/handlers.py)"

METRICS = "referral performance aggregates (counts, percentiles), no referral or client rows (metrics/access.py)"
QUALITY = "data quality counts by week, agency, person and field (rule codes, staff names), no client data"
ESCALATIONS = "a referral's SLA escalations: levels, who was told, acknowledgements; no client fields"

# --- pages ----------------------------------------------------------------------------------------------
PAGES: dict[str, Shows | NoClientData] = {
    "home": NoClientData("the user's own memberships only"),
    "login": NoClientData("sign-in form; sign-ins are audited by the auth signals"),
    "logout": NoClientData("signs out; audited by the auth signals"),
    "password-change": NoClientData("the user's own password form; the change is audited"),
    "providers:directory": NoClientData("provider directory: organizations and services"),
    "providers:service-detail": NoClientData("one directory service"),
    "clients:search": Shows(
        "case_manager", data=lambda w: {"birth_date": w.person.birth_date.isoformat()}, outsider_gets=200
    ),
    "clients:create": NoClientData("blank form; duplicate candidates shown on POST are audited (test_client_pages)"),
    "clients:detail": Shows("case_manager", pk_of("person")),
    "clients:edit": Shows("case_manager", pk_of("person")),
    "referrals:dashboard": Shows("case_manager", shows=attrgetter("referral"), outsider_gets=403),
    "referrals:inbox": Shows("provider_intake", shows=attrgetter("referral"), outsider_gets=200),
    "referrals:team": Shows("county_supervisor", shows=attrgetter("referral"), outsider_gets=403),
    "referrals:new": Shows(
        "case_manager",
        data=lambda w: {"client": str(w.person.pk)},
        outsider_gets=403,
    ),
    "referrals:detail": Shows("case_manager", pk_of("referral")),
    "referrals:transition": NoClientData("POST-only step; redirects, a refused step re-renders referrals:detail"),
    "referrals:draft_details": Shows("case_manager", pk_of("draft")),
    "referrals:draft_service": Shows("case_manager", pk_of("draft")),
    "referrals:draft_review": Shows("case_manager", pk_of("draft")),
    "referrals:reroute": Shows("case_manager", pk_of("declined")),
    "referrals:assign_worker": NoClientData("POST-only; redirects to referrals:detail"),
    "referrals:share": NoClientData("POST-only; redirects to referrals:detail"),
    "referrals:break_glass": Shows("provider_intake", pk_of("referral")),
    "consent:client": Shows("case_manager", pk_of("person")),
    "consent:record": Shows("case_manager", pk_of("person")),
    "consent:provision_form": NoClientData("blank provision fragment (htmx): organizations and codes only"),
    "consent:revoke": Shows("case_manager", pk_of("consent")),
    "consent:signed_form": Shows("case_manager", pk_of("signed_consent")),
    "consent:break_glass_end": NoClientData("POST-only; ends the caller's own emergency access, redirects"),
    "exceptionqueue:queue": Shows("data_steward", shows=attrgetter("exception"), outsider_gets=200),
    "exceptionqueue:detail": Shows("data_steward", pk_of("exception")),
    "exceptionqueue:transition": NoClientData("POST-only; redirects to exceptionqueue:detail"),
    "exceptionqueue:assign": NoClientData("POST-only; redirects to exceptionqueue:detail"),
    "notifications:list": NoClientData("texts name references and organizations only (notifications/texts.py)"),
    "notifications:mark_read": NoClientData("POST-only; the caller's own notification"),
    "notifications:mark_all_read": NoClientData("POST-only; the caller's own notifications"),
    "webhooks:list": NoClientData(WEBHOOKS),
    "webhooks:add": NoClientData(WEBHOOKS),
    "webhooks:detail": NoClientData(WEBHOOKS),
    "webhooks:edit": NoClientData(WEBHOOKS),
    "webhooks:rotate": NoClientData(WEBHOOKS),
    "webhooks:delete": NoClientData(WEBHOOKS),
    "metrics:performance": NoClientData(METRICS),
    "metrics:performance_csv": NoClientData(METRICS),
    "quality:report": NoClientData(QUALITY),
    "quality:export": NoClientData(QUALITY),
    "quality:weekly_report": NoClientData(QUALITY),
    "sla:escalation_acknowledge": NoClientData("POST-only; acknowledges an escalation, redirects"),
    "health": NoClientData("liveness and readiness probe"),
    "api-schema": NoClientData("OpenAPI schema"),
    "api-docs": NoClientData("OpenAPI docs (Swagger UI)"),
}

# --- API ------------------------------------------------------------------------------------------------
API: dict[str, Shows | NoClientData] = {
    "api:token-obtain": NoClientData("issues a token; audited as user.token_issued"),
    "api:token-revoke": NoClientData("revokes a token; audited as user.token_revoked"),
    "api:organization-list": NoClientData("directory"),
    "api:organization-detail": NoClientData("directory"),
    "api:service-list": NoClientData("directory"),
    "api:service-detail": NoClientData("directory"),
    "api:client-list": Shows("case_manager", outsider_gets=200),
    "api:client-detail": Shows("case_manager", pk_of("person")),
    "api:client-disclosures": Shows("case_manager", pk_of("person")),
    "api:referral-list": Shows("case_manager", shows=attrgetter("referral"), outsider_gets=200),
    "api:referral-detail": Shows("case_manager", pk_of("referral")),
    "api:referral-assign": Shows(
        "provider_supervisor", pk_of("referral"), method="post", data=lambda w: {"worker": w.user("provider_intake").pk}
    ),
    "api:referral-disclosure-preview": Shows("case_manager", pk_of("draft")),
    "api:referral-events": Shows("case_manager", pk_of("referral")),
    "api:referral-reroute": Shows(
        "case_manager",
        pk_of("declined"),
        method="post",
        data=lambda w: {"service": str(w.second_service.pk)},
        ok=201,
    ),
    "api:referral-routing-options": Shows("case_manager", pk_of("draft")),
    "api:referral-shares": NoClientData("POST-only; answers the grant (colleague, expiry), no client fields"),
    "api:referral-transitions": Shows(
        "provider_intake", pk_of("referral"), method="post", data=lambda w: {"name": "accept"}
    ),
    "api:referral-unshare": NoClientData("DELETE-only; 204 without a body"),
    "api:referral-unshare-by-post": NoClientData("POST-only; 204 without a body"),
    "api:client-consent-list": Shows("case_manager", pk_of("person", "client_pk")),
    "api:consent-detail": Shows("case_manager", pk_of("consent")),
    "api:consent-revoke": Shows(
        "case_manager",
        pk_of("consent"),
        method="post",
        data=lambda w: {"reason": "Client asked to stop sharing.", "method": "verbal"},
    ),
    "api:consent-entered-in-error": Shows(
        "case_manager",
        pk_of("consent"),
        method="post",
        data=lambda w: {"reason": "Recorded for the wrong client."},
    ),
    "api:break-glass-list": Shows("provider_intake", shows=attrgetter("break_glass"), outsider_gets=200),
    "api:break-glass-end": Shows("provider_intake", pk_of("break_glass"), method="post"),
    "api:audit-event-list": Shows("governance_lead", shows=attrgetter("referral"), outsider_gets=403),
    "api:notification-list": NoClientData("texts name references and organizations only (notifications/texts.py)"),
    "api:notification-read-all": NoClientData("POST-only; the caller's own notifications"),
    "api:notification-read": NoClientData("POST-only; the caller's own notification"),
    "api:referral-metrics": NoClientData(METRICS),
    "api:referral-escalation-list": NoClientData(ESCALATIONS),
    "api:referral-escalation-acknowledge": NoClientData(ESCALATIONS),
    "api:webhook-endpoint-list": NoClientData(WEBHOOKS),
    "api:webhook-endpoint-detail": NoClientData(WEBHOOKS),
    "api:webhook-endpoint-rotate-secret": NoClientData(WEBHOOKS),
    "api:webhook-endpoint-deliveries": NoClientData(WEBHOOKS),
    "api:exception-list": Shows("data_steward", shows=attrgetter("exception"), outsider_gets=200),
    "api:exception-detail": Shows("data_steward", pk_of("exception")),
    "api:exception-assign": Shows(
        "data_steward", pk_of("exception"), method="post", data=lambda w: {"assignee": w.user("data_steward").pk}
    ),
    "api:exception-events": Shows("data_steward", pk_of("exception")),
    "api:exception-transitions": Shows(
        "data_steward", pk_of("exception"), method="post", data=lambda w: {"name": "start"}
    ),
}

# --- admin ----------------------------------------------------------------------------------------------
ADMIN_SITE = {
    "admin:index": NoClientData("admin index"),
    "admin:login": NoClientData("redirects to the portal's sign-in"),
    "admin:logout": NoClientData("signs out"),
    "admin:password_change": NoClientData("the user's own password"),
    "admin:password_change_done": NoClientData("confirmation"),
    "admin:autocomplete": NoClientData("only Membership.user is autocompleted (staff accounts)"),
    "admin:jsi18n": NoClientData("JavaScript catalog"),
    "admin:view_on_site": NoClientData("redirect to the object's own page, which checks access and audits"),
    "admin:app_list": NoClientData("an app's model index"),
}


def _admin_model(model: str, reason: str, views=("changelist", "add", "history", "delete", "change")) -> dict:
    return {f"admin:{model}_{view}": NoClientData(reason) for view in views}


HISTORY_VIEWS = ("changelist", "add", "history", "delete", "change", "simple_history")
READ_ONLY_ADMIN = "read-only admin: refuses adds and deletes (403)"
GRANTS = "guardian object permissions on a referral: users and permission codes, no client fields"
# Governance leads see every exception item, the whole trail and every audit sample; for those pages the
# outsider is a superuser without a role, who gets past the admin's gate and must still see none of it.


def _audited_admin(model: str, obj: str, outsider: str = "other_governance_lead") -> dict:
    """The read-only, audited admin pages (coordination/admin_reads.py) of a model that carries client data."""
    return {
        f"admin:{model}_changelist": Shows(
            "governance_lead", shows=attrgetter(obj), outsider=outsider, outsider_gets=200
        ),
        # Django's admin answers a missing object with a redirect to the index; a hidden one must look the same.
        f"admin:{model}_change": Shows("governance_lead", admin_object(obj), outsider=outsider, outsider_gets=302),
        f"admin:{model}_history": Shows("governance_lead", admin_object(obj), outsider=outsider),
        f"admin:{model}_simple_history": Shows("governance_lead", admin_version(obj), outsider=outsider),
        f"admin:{model}_add": NoClientData(READ_ONLY_ADMIN),
        f"admin:{model}_delete": NoClientData(READ_ONLY_ADMIN),
    }


ADMIN = {
    **ADMIN_SITE,
    **_admin_model("auth_group", "role groups"),
    **_admin_model("auth_user", "staff accounts"),
    "admin:auth_user_password_change": NoClientData("a staff account's password"),
    **_admin_model("knox_authtoken", "API tokens (digests)"),
    **_admin_model("providers_organization", "directory", HISTORY_VIEWS),
    **_admin_model("providers_service", "directory", HISTORY_VIEWS),
    **_admin_model("providers_location", "directory", HISTORY_VIEWS),
    **_admin_model("providers_postalcode", "postal codes"),
    **_admin_model("providers_membership", "staff memberships and roles", HISTORY_VIEWS),
    **_admin_model("sla_slapolicy", "SLA targets per urgency", HISTORY_VIEWS),
    **_admin_model("sla_holiday", "business calendar", HISTORY_VIEWS),
    **_admin_model("sla_openinghours", "business calendar", HISTORY_VIEWS),
    **_admin_model("webhooks_webhookendpoint", WEBHOOKS, HISTORY_VIEWS),
    **_admin_model("webhooks_webhookdelivery", WEBHOOKS),
    **_admin_model("consent_exchangeusecase", "exchange catalog: data elements per use case and role", HISTORY_VIEWS),
    **_audited_admin("clients_client", "person"),
    "admin:clients_client_disclosure_pick": Shows(
        "governance_lead",
        data=lambda w: {"q": w.person.family_name},
        outsider="other_governance_lead",
        outsider_gets=200,
    ),
    "admin:clients_client_disclosure_report": Shows(
        "governance_lead", admin_object("person"), outsider="other_governance_lead"
    ),
    "admin:clients_client_disclosure_export": Shows(
        "governance_lead", admin_object("person"), outsider="other_governance_lead"
    ),
    **_audited_admin("consent_consent", "consent"),
    **_audited_admin("consent_breakglassaccess", "break_glass"),
    **_audited_admin("referrals_referral", "referral"),
    "admin:referrals_referral_permissions": NoClientData(GRANTS),
    "admin:referrals_referral_permissions_manage_user": NoClientData(GRANTS),
    "admin:referrals_referral_permissions_manage_group": NoClientData(GRANTS),
    **_audited_admin("exceptionqueue_exceptionitem", "exception", outsider="superuser"),
    "admin:audit_auditevent_changelist": Shows(
        "governance_lead",
        shows=attrgetter("referral"),
        outsider="other_provider_intake",
        outsider_gets=403,
    ),
    "admin:audit_auditevent_change": Shows(
        "governance_lead",
        shows=attrgetter("referral"),
        url=lambda w: {"object_id": AuditEvent.objects.filter(client_id=w.person.pk).latest("sequence").pk},
        outsider="other_provider_intake",
        outsider_gets=403,
    ),
    "admin:audit_auditevent_history": NoClientData("admin log entries of an audit row (there are none)"),
    "admin:audit_auditevent_add": NoClientData("append-only: refused"),
    "admin:audit_auditevent_delete": NoClientData("append-only: refused"),
    **_admin_model("governance_accessreviewcampaign", "campaign: organizations, reviewers, progress", HISTORY_VIEWS),
    "admin:governance_cancel": NoClientData("cancels a campaign"),
    "admin:governance_campaign_evidence": NoClientData("CSV of memberships, roles and counts, no client ids"),
    **_admin_model("governance_accessreviewitem", "a membership or grant under review, with counts", HISTORY_VIEWS),
    "admin:governance_decide": NoClientData("keep / revoke / change role for a membership or grant"),
    **_admin_model("governance_auditsample", "a sample's period, size and progress", HISTORY_VIEWS),
    "admin:governance_auditsampleitem_changelist": Shows(
        "governance_lead",
        data=lambda w: {"sample": str(w.sample_item.sample_id)},
        outsider="superuser",
        outsider_gets=403,
    ),
    "admin:governance_review": Shows(
        "governance_lead",
        admin_object("sample_item"),
        outsider="superuser",
        outsider_gets=403,
    ),
    **_admin_model(
        "governance_auditsampleitem",
        "verdict and note only (the event is shown on the review page)",
        ("add", "history", "delete", "change", "simple_history"),
    ),
}

ROUTES: dict[str, Shows | NoClientData] = {**PAGES, **API, **ADMIN}

# Unnamed patterns: the admin's object-URL redirect and catch-all, and (with DEBUG) static files.
UNNAMED_OK = {
    "django.views.generic.base.RedirectView",
    "django.contrib.admin.sites.AdminSite.catch_all_view",
    "django.views.static.serve",
}


# --- the URL walk ---------------------------------------------------------------------------------------


def _walk(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            yield from _walk(pattern.url_patterns, f"{namespace}:{inner}".strip(":") if inner else namespace)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name) if pattern.name else None, pattern


def project_routes() -> tuple[set[str], list[str]]:
    """Every named route of the project, and the unnamed ones whose view is not known to be harmless."""
    named, unknown = set(), []
    for name, pattern in _walk(get_resolver().url_patterns):
        if name:
            named.add(name)
            continue
        view = getattr(pattern.callback, "view_class", None) or pattern.callback
        dotted = f"{view.__module__}.{view.__qualname__}"
        if dotted not in UNNAMED_OK:
            unknown.append(f"{pattern.pattern} ({dotted})")
    return named, unknown


def test_every_route_is_classified():
    named, unknown = project_routes()
    missing = sorted(named - ROUTES.keys())
    assert not missing, "\n".join(f"classify new route {name}" for name in missing)
    assert not unknown, "\n".join(f"classify new route (unnamed) {route}" for route in unknown)


def test_the_table_names_only_existing_routes():
    named, _ = project_routes()
    assert sorted(ROUTES.keys() - named) == []


def _audits_client_reads(pattern: URLPattern) -> bool:
    """The view itself says it reads client data: an API viewset's list/retrieve with `audit_reads`, or a page
    of an `AuditedReadOnlyAdmin`."""
    from coordination.admin_reads import AuditedReadOnlyAdmin

    callback = pattern.callback
    viewset = getattr(callback, "cls", None)
    if getattr(viewset, "audit_reads", None) and {"list", "retrieve"} & set((callback.actions or {}).values()):
        return True
    model_admin = getattr(callback, "model_admin", None)
    return isinstance(model_admin, AuditedReadOnlyAdmin) and pattern.name.endswith(("_changelist", "_change"))


def test_views_that_audit_client_reads_are_classified_as_showing_client_data():
    waved_through = [
        name
        for name, pattern in _walk(get_resolver().url_patterns)
        if name and not isinstance(ROUTES.get(name), Shows) and _audits_client_reads(pattern)
    ]
    assert waved_through == []


# --- the requests ---------------------------------------------------------------------------------------


def _params(case: str) -> list:
    params = []
    for name, kind in ROUTES.items():
        if not isinstance(kind, Shows):
            continue
        reason = kind.bugs.get(case)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def _is_api(name: str) -> bool:
    return name.startswith("api:")


def _last_sequence() -> int:
    return AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0


@dataclass
class Call:
    response: object
    rows: list[AuditEvent]
    sent: str = ""

    @property
    def body(self) -> bytes:
        if getattr(self.response, "streaming", False):
            return b"".join(self.response.streaming_content)
        return self.response.content


def _call(django_client, world, name: str, user) -> Call:
    """Build the recipe's objects, sign in, then make the one request and collect the rows it wrote."""
    recipe = ROUTES[name]
    recipe.shows(world)
    args = recipe.url(world)
    url = reverse(name, args=args) if isinstance(args, tuple) else reverse(name, kwargs=args)
    data = recipe.data(world) if recipe.data else None
    if user is not None:
        django_client.force_login(user)
    before = _last_sequence()
    headers = {"HTTP_ACCEPT": "application/json"} if _is_api(name) else {}
    if recipe.method == "get":
        response = django_client.get(url, data or {}, **headers)
    elif _is_api(name):
        body = json.dumps(data) if data is not None else ""
        response = django_client.generic(recipe.method.upper(), url, body, "application/json", **headers)
    else:
        response = getattr(django_client, recipe.method)(url, data or {}, **headers)
    rows = list(AuditEvent.objects.filter(sequence__gt=before).order_by("sequence"))
    return Call(response, rows, json.dumps(data, default=str) if data else "")


def _names_client(row: AuditEvent, client) -> bool:
    listed = row.detail.get("client_ids") or [] if isinstance(row.detail, dict) else []
    return row.client_id == client.pk or str(client.pk) in listed


def _leaks(call: Call, client) -> list[str]:
    """The client's names in the body, except what the caller typed (a search form echoes its query)."""
    return [
        name for name in (client.given_name, client.family_name) if name.encode() in call.body and name not in call.sent
    ]


def _describe(rows) -> str:
    return "; ".join(f"#{r.sequence} {r.action}/{r.subtype or '-'} {r.outcome}" for r in rows) or "no rows"


@pytest.mark.django_db
@pytest.mark.parametrize("name", _params("viewer"))
def test_viewer__exactly_one_audit_row_naming_the_client_and_the_viewer(name, client, coverage_world):
    recipe = ROUTES[name]
    viewer = coverage_world.user(recipe.viewer)

    call = _call(client, coverage_world, name, viewer)

    assert call.response.status_code == recipe.ok, call.body[:500]
    assert len(call.rows) == 1, f"{name} wrote {len(call.rows)} audit rows: {_describe(call.rows)}"
    [row] = call.rows
    assert (row.outcome, row.actor_id) == (Outcome.SUCCESS, viewer.pk)
    assert _names_client(row, coverage_world.person), f"{row.action} names neither client_id nor client_ids"


@pytest.mark.django_db
@pytest.mark.parametrize("name", _params("outsider"))
def test_outsider__refused_like_a_missing_object_and_audited_once(name, client, coverage_world):
    recipe = ROUTES[name]
    outsider = coverage_world.user(recipe.outsider)

    call = _call(client, coverage_world, name, outsider)

    assert call.response.status_code == recipe.outsider_gets, call.body[:500]
    assert not _leaks(call, coverage_world.person)
    assert len(call.rows) == 1, f"{name} wrote {len(call.rows)} audit rows: {_describe(call.rows)}"
    [row] = call.rows
    assert row.actor_id == outsider.pk
    if recipe.outsider_gets == 200:  # a list: the client is simply not on it
        assert row.outcome == Outcome.SUCCESS
        assert not _names_client(row, coverage_world.person)
    else:
        # A 403 is recorded centrally as a refused request; a hidden object as a denied access to it.
        expected = AuditAction.REQUEST_REFUSED if recipe.outsider_gets == 403 else recipe.denied_action
        assert (row.action, row.outcome) == (expected, Outcome.DENIED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", _params("anonymous"))
def test_anonymous__sent_to_sign_in_and_shown_nothing(name, client, coverage_world):
    call = _call(client, coverage_world, name, None)

    assert call.response.status_code == (401 if _is_api(name) else 302)
    assert not _leaks(call, coverage_world.person)
    assert not [row for row in call.rows if row.outcome == Outcome.SUCCESS]


@pytest.mark.django_db
def test_consent_page__renders_a_consent_whose_recorder_is_gone(client, case_manager, county_client):
    client.force_login(case_manager)

    response = client.get(reverse("consent:client", kwargs={"pk": county_client.pk}))

    assert response.status_code == 200
