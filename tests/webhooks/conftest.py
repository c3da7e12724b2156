"""Webhook test helpers: a real HTTP receiver on 127.0.0.1, a fake transport, and endpoints of the cast's orgs."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import WebhookEndpointFactory
from webhooks import delivery as delivery_module
from webhooks.transport import SendResult

# The Standard Webhooks reference libraries' test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the local partner received, and what it answers next (a queue of statuses, then `default`)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: collections.deque = field(default_factory=collections.deque)
    default: int = 204
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def answer(self, *statuses: int) -> Receiver:
        self.statuses.extend(statuses)
        return self


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if state.delay:
                time.sleep(state.delay)
            status = state.statuses.popleft() if state.statuses else state.default
            self.send_response(status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            if 300 <= status < 400:
                self.send_header("Location", f"{state.url}elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class FakePost:
    """Stands in for `transport.post`: records each call and answers from a queue (default 200)."""

    calls: list[tuple[str, bytes, dict]] = field(default_factory=list)
    results: collections.deque = field(default_factory=collections.deque)

    def answer(self, *results) -> FakePost:
        for result in results:
            self.results.append(SendResult(status=result) if isinstance(result, int) else result)
        return self

    def __call__(self, url: str, body: bytes, headers: dict) -> SendResult:
        self.calls.append((url, body, headers))
        return self.results.popleft() if self.results else SendResult(status=200, duration_ms=5)


@pytest.fixture
def fake_post(monkeypatch):
    fake = FakePost()
    monkeypatch.setattr(delivery_module, "post", fake)
    return fake


@pytest.fixture
def provider_endpoint(provider):
    return WebhookEndpointFactory(organization=provider, url="https://ehr.harbor.example.org/hooks")


@pytest.fixture
def county_endpoint(county):
    return WebhookEndpointFactory(organization=county, url="https://cms.lakeside.example.org/hooks")


@pytest.fixture
def other_endpoint(other_provider):
    return WebhookEndpointFactory(organization=other_provider, url="https://northside.example.org/hooks")


@pytest.fixture
def cast(request):
    """`cast("provider_supervisor")` -> that fixture's user (None for "anonymous")."""

    def get(name: str):
        return None if name == "anonymous" else request.getfixturevalue(name)

    return get


@pytest.fixture
def signed_in(api):
    """An API client signed in through the session, so audit rows name the user (force_authenticate does not)."""

    def sign_in(user):
        api.as_user(None)
        api.force_login(user)
        return api

    return sign_in
