"""One HTTP POST to a partner endpoint, with short timeouts, no redirects and the address checked at send time.

When https is required (`WEBHOOKS_REQUIRE_HTTPS`), a plain http:// address is refused here too, not only when
the endpoint is saved: an endpoint stored before the setting took effect never gets events in clear text.

The standard library's `http.client` is enough (and never follows redirects). The host name is resolved
here and, unless private addresses are allowed, every address it resolves to must be public; the
connection then goes to that vetted address (TLS still verifies the host name), so DNS cannot swap in an
internal address between the check and the connection.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from .validation import is_public_address, private_addresses_allowed, require_https

USER_AGENT = "CareCoordinationPortal-Webhooks/1.0"


class RefusedAddress(Exception):
    pass


@dataclass(frozen=True)
class SendResult:
    status: int | None = None
    error: str = ""
    duration_ms: int = 0
    retry_after: int | None = None  # seconds, from a Retry-After header

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, read_timeout: float, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address, self._read_timeout = address, read_timeout

    def _open_socket(self) -> socket.socket:
        return socket.create_connection((self._address, self.port), self.timeout)

    def connect(self) -> None:
        self.sock = self._open_socket()
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        raw = self._open_socket()
        try:
            self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        self.sock.settimeout(self._read_timeout)


def _addresses(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not private_addresses_allowed():
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise RefusedAddress(f"{host} resolves to a non-public address; not sent.")
    return addresses


def _retry_after(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(int((when - timezone.now()).total_seconds()), 0)


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):  # socket.timeout is TimeoutError
        return "timeout"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]


def post(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """POST `body`; the status code (any, including 3xx) or the error, and how long it took."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    if require_https() and not https:
        # An endpoint saved before https was required: refused like a private address, never sent in clear.
        return SendResult(error="RefusedScheme: https is required and this endpoint's address is not https; not sent.")
    port = parts.port or (443 if https else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connect_timeout = float(getattr(settings, "WEBHOOK_CONNECT_TIMEOUT", 3))
    read_timeout = float(getattr(settings, "WEBHOOK_READ_TIMEOUT", 10))
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    started = time.monotonic()
    last_error: BaseException | None = None
    try:
        addresses = _addresses(parts.hostname or "", port)
    except (RefusedAddress, OSError, UnicodeError) as error:
        return SendResult(error=_describe(error), duration_ms=_elapsed(started))
    for address in addresses:
        connection = connection_class(
            parts.hostname, port, address=address, read_timeout=read_timeout, timeout=connect_timeout
        )
        try:
            connection.request("POST", target, body=body, headers={**headers, "user-agent": USER_AGENT})
            response = connection.getresponse()
            # Only the status matters; the body is neither read nor kept (it may hold anything).
            return SendResult(
                status=response.status,
                duration_ms=_elapsed(started),
                retry_after=_retry_after(response.getheader("Retry-After")),
            )
        except (OSError, http.client.HTTPException) as error:  # ssl.SSLError is an OSError
            last_error = error
            if not isinstance(error, ConnectionRefusedError):
                break  # a reply started or TLS failed: trying another address could send the event twice
        finally:
            connection.close()
    return SendResult(error=_describe(last_error or OSError("no address")), duration_ms=_elapsed(started))


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
