"""What a webhook endpoint may be: the events it names, and a URL the portal is willing to call.

Server-side request forgery is the risk: whoever manages an endpoint makes the portal send requests to
that URL. In production the URL must be https, carry no credentials, and point at a public address; the
host name is checked here when saved and its resolved addresses again at every send (`transport.py`), so a
name that later resolves to an internal address is still refused.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from coordination.events import Event

# Names that always mean "this machine or this network", whatever DNS says.
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def validate_events(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Give the events as a list of event types.")
    unknown = sorted(set(value) - set(Event.values))
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(Event.values)}.")


def require_https() -> bool:
    return bool(getattr(settings, "WEBHOOKS_REQUIRE_HTTPS", True))


def private_addresses_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False))


def is_public_address(address: str) -> bool:
    """A globally routable unicast address (not private, loopback, link-local, CGNAT, reserved, multicast)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def validate_endpoint_url(url: str) -> str:
    """The URL, stripped, if the portal may POST to it; a ValidationError saying why not otherwise."""
    url = str(url or "").strip()
    schemes = ["https"] if require_https() else ["https", "http"]
    try:
        URLValidator(schemes=schemes)(url)
    except ValidationError:
        if require_https() and url.lower().startswith("http://"):
            raise ValidationError("Use an https:// address: events are only sent over TLS.") from None
        raise ValidationError("Enter a full http(s) address, such as https://partner.example.org/webhooks.") from None
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError("Do not put credentials in the address; the signature authenticates the portal.")
    if parts.fragment:
        raise ValidationError("Remove the #fragment: it is never sent to the server.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise ValidationError("The address needs a host name.")
    if not private_addresses_allowed():
        literal = _literal_address(host)
        if literal is not None and not is_public_address(literal):
            raise ValidationError("The address points at a private, loopback or reserved network; use a public one.")
        if literal is None and (host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES) or "." not in host):
            raise ValidationError("The host name is a local one; use the partner's public host name.")
    return url
