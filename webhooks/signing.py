"""Standard Webhooks 1.0 symmetric signatures (HMAC-SHA256), both for sending and for checking.

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature header is a space-separated
list of `v1,<base64 HMAC>` entries, one per secret in use (two during a rotation's overlap). Secrets are
`whsec_` followed by the base64 of the key bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32  # the spec asks for at least 24 random bytes
TOLERANCE_SECONDS = 5 * 60


class SignatureError(Exception):
    """A delivery whose headers, timestamp or signature do not check out."""


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_...` secret (the prefix is optional, as in the reference libraries)."""
    encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("The secret is not base64.") from None
    if not key:
        raise SignatureError("The secret is empty.")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of the body for this id and timestamp."""
    content = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets_in_use: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets_in_use)


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None, tolerance=TOLERANCE_SECONDS
) -> None:
    """Check a received delivery the way a partner should; raise SignatureError if it does not check out."""
    lowered = {key.lower(): value for key, value in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    header = lowered.get("webhook-signature", "")
    if not (msg_id and timestamp and header):
        raise SignatureError("Missing webhook-id, webhook-timestamp or webhook-signature.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("The timestamp is not a whole number of seconds.") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > tolerance:
        raise SignatureError("The timestamp is too old or too new (replay protection).")
    expected = sign(secret, msg_id, sent_at, body).split(",", 1)[1].encode()
    for entry in header.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value.encode()):
            return
    raise SignatureError("No signature matches.")
