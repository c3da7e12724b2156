"""Signatures against the Standard Webhooks test vector and the reference Python library."""

import base64
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.webhooks.conftest import VECTOR_BODY, VECTOR_ID, VECTOR_SECRET, VECTOR_SIGNATURE, VECTOR_TIMESTAMP
from webhooks.signing import (
    SECRET_PREFIX,
    SignatureError,
    generate_secret,
    secret_key,
    sign,
    signature_header,
    verify,
)

VECTOR_HEADERS = {
    "webhook-id": VECTOR_ID,
    "webhook-timestamp": str(VECTOR_TIMESTAMP),
    "webhook-signature": VECTOR_SIGNATURE,
}


def test_sign__reproduces_the_standard_webhooks_test_vector():
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_sign__accepts_the_secret_without_its_prefix_like_the_reference_libraries():
    bare = VECTOR_SECRET.removeprefix(SECRET_PREFIX)
    assert sign(bare, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_sign__reference_library_computes_the_same_signature():
    from datetime import UTC, datetime

    expected = Webhook(VECTOR_SECRET).sign(
        VECTOR_ID, datetime.fromtimestamp(VECTOR_TIMESTAMP, tz=UTC), VECTOR_BODY.decode()
    )
    assert expected == VECTOR_SIGNATURE  # the vector is what the reference library itself produces


def test_verify__accepts_the_test_vector_at_its_time():
    verify(VECTOR_SECRET, VECTOR_HEADERS, VECTOR_BODY, now=VECTOR_TIMESTAMP + 10)


def test_verify__accepts_one_valid_signature_among_several():
    headers = {**VECTOR_HEADERS, "webhook-signature": f"v1,bm9wZQ== v1a,xyz {VECTOR_SIGNATURE}"}
    verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": b'{"test": 2432232315}'}, "No signature matches"),
        ({"secret": generate_secret()}, "No signature matches"),
        ({"now": VECTOR_TIMESTAMP + 301}, "too old"),
        ({"now": VECTOR_TIMESTAMP - 301}, "too old or too new"),
        ({"headers": {**VECTOR_HEADERS, "webhook-id": "msg_other"}}, "No signature matches"),
        ({"headers": {k: v for k, v in VECTOR_HEADERS.items() if k != "webhook-signature"}}, "Missing"),
        ({"headers": {**VECTOR_HEADERS, "webhook-signature": VECTOR_SIGNATURE.replace("v1,", "v2,")}}, "No sig"),
    ],
)
def test_verify__rejects_what_does_not_check_out(change, message):
    arguments = {"secret": VECTOR_SECRET, "headers": VECTOR_HEADERS, "body": VECTOR_BODY, "now": VECTOR_TIMESTAMP}
    arguments.update(change)
    with pytest.raises(SignatureError, match=message):
        verify(arguments["secret"], arguments["headers"], arguments["body"], now=arguments["now"])


def test_generate_secret__is_whsec_with_32_random_bytes():
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_") and first != second
    assert len(secret_key(first)) == 32
    assert base64.b64encode(secret_key(first)).decode() == first.removeprefix("whsec_")


def test_signature_header__signs_with_each_secret_space_separated_and_the_library_accepts_either():
    old, new = generate_secret(), generate_secret()
    body = b'{"type":"referral.sent"}'
    now = int(time.time())
    header = signature_header([new, old], "evt-1", now, body)
    assert header == f"{sign(new, 'evt-1', now, body)} {sign(old, 'evt-1', now, body)}"
    headers = {"webhook-id": "evt-1", "webhook-timestamp": str(now), "webhook-signature": header}
    for secret in (new, old):
        Webhook(secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)
