"""Idle and absolute session timeouts, enforced on the server."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_STARTED = "_portal_auth_started"
SESSION_LAST_SEEN = "_portal_last_seen"


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(SESSION_STARTED, now)
            last_seen = session.get(SESSION_LAST_SEEN, now)
            idle_expired = now - last_seen > settings.SESSION_IDLE_TIMEOUT
            absolute_expired = now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            if idle_expired or absolute_expired:
                logout(request)
                messages.info(request, "Your session timed out. Please sign in again.")
            else:
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)
