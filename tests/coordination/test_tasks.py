import datetime

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from knox.models import AuthToken

from coordination.tasks import clear_expired_credentials


def test_clear_expired_credentials__drops_only_expired(case_manager):
    live, expired = SessionStore(), SessionStore()
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    AuthToken.objects.create(case_manager, expiry=datetime.timedelta(hours=1))
    old, _ = AuthToken.objects.create(case_manager, expiry=datetime.timedelta(hours=1))
    AuthToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - datetime.timedelta(minutes=1))
    result = clear_expired_credentials.delay().get()
    assert result == {"sessions": 1, "tokens": 1}
    assert Session.objects.filter(session_key=live.session_key).exists()
    assert AuthToken.objects.count() == 1
