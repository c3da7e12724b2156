"""Settings shared by every environment; values come from environment variables.

Defaults are safe for development only: `production.py` refuses to start without real secrets.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Seeding demo data is a development convenience; production turns it off.
DEMO_DATA_ALLOWED = True

INSTALLED_APPS = [
    "coordination.apps.GovernanceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "django_htmx",
    "audit",
    "providers",
    "clients",
    "consent",
    "referrals",
    "notifications",
    "exceptionqueue",
    "sla",
    "webhooks",
    "governance",
    "metrics",
    "quality",
    "demo",
    # Last, so that its post_migrate role sync sees every app's permissions.
    "coordination",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "coordination.context.RequestContextMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "coordination.sessions.SessionTimeoutMiddleware",
    "coordination.purpose.PurposeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "coordination.urls"
WSGI_APPLICATION = "coordination.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coordination.context_processors.portal",
                "notifications.context_processors.notifications",
                "sla.context_processors.scheduler",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: wait for locks and take them up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: an idle timeout and an absolute one since login, both enforced by
# coordination.sessions (which signs the user out, and so audits it). The stored session lives
# until the absolute limit so that the middleware, not silent expiry, ends it.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = None  # production collects into BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Development serves straight from the finders: no collectstatic needed for `make run`.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "coordination.api.authentication.PortalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "coordination.api.pagination.PortalPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "coordination.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env.str("AUTH_THROTTLE_RATE", default="20/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

API_TOKEN_TTL = timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=12))
REST_KNOX = {
    "TOKEN_TTL": API_TOKEN_TTL,
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Case-coordination portal API",
    "DESCRIPTION": (
        "Closed-loop referrals between county agencies and community providers. "
        "Authenticate with `POST /api/v1/auth/token/` and send `Authorization: Token <token>`. "
        "Every list and detail answers only what the caller's organization and role may see; "
        "objects you may not see answer 404 like missing ones."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

# django-guardian: no anonymous user row; object permissions are exceptions, not the rule.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport (zero setup).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # With Redis down a publish fails at once (one connection attempt, short socket timeouts) and the outbox
    # sweep sends it later, instead of a page hanging. (BRPOP polls every second, well inside socket_timeout.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
        "max_retries": 0,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A stuck task is stopped (soft limit first, so it can roll back) well before the outbox counts it lost
# and hands its message over again (OUTBOX_REDELIVER_AFTER).
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
OUTBOX_HANDOVER_GRACE = timedelta(seconds=30)
OUTBOX_REDELIVER_AFTER = timedelta(minutes=5)
OUTBOX_MAX_BACKOFF = timedelta(hours=1)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions-and-tokens": {
        "task": "coordination.tasks.clear_expired_credentials",
        "schedule": 60 * 60,
    },
    "access-review-reminders": {"task": "governance.tasks.remind_overdue_access_reviews", "schedule": 60 * 60},
    "outbox-sweep": {"task": "coordination.tasks.outbox_sweep", "schedule": 60},
    "audit-anchor": {"task": "audit.tasks.audit_anchor", "schedule": env.int("AUDIT_ANCHOR_SECONDS", default=60 * 60)},
    "notification-email-sweep": {"task": "notifications.tasks.email_sweep", "schedule": 60},
    "consent-expiry-sweep": {"task": "notifications.tasks.consent_expiry_sweep", "schedule": 60 * 60},
    "webhook-sweep": {"task": "webhooks.tasks.webhook_sweep", "schedule": 60},
    # Expires before the next one is due: runs queued while no worker listened are dropped, not piled up.
    "sla-sweep": {"task": "sla.tasks.sla_sweep", "schedule": 60, "options": {"expires": 55}},
    # Mondays 07:00 in CELERY_TIMEZONE (= TIME_ZONE): last week's data quality report per agency (once each).
    "quality-weekly-report": {
        "task": "quality.tasks.weekly_quality_reports",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    "quality-report-email-sweep": {"task": "quality.tasks.report_email_sweep", "schedule": 10 * 60},
}
# Data quality (quality/): a sender (agency or person) above this refusal rate with at least this many send
# attempts in each of two weeks running gets one exception for a corrective plan; this many refusals of one
# submission open an exception for the data stewards.
QUALITY_REJECTION_RATE_THRESHOLD = env.float("QUALITY_REJECTION_RATE_THRESHOLD", default=0.2)
QUALITY_MIN_WEEKLY_SUBMISSIONS = env.int("QUALITY_MIN_WEEKLY_SUBMISSIONS", default=10)
QUALITY_REPEATED_REJECTIONS = env.int("QUALITY_REPEATED_REJECTIONS", default=3)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Links in notification emails point here.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Each audit anchor is also appended here (ship this file off the database host; "" turns it off).
AUDIT_ANCHOR_FILE = env.str("AUDIT_ANCHOR_FILE", default=str(VAR_DIR / "audit-anchors.log"))
# The per-client disclosure report covers this many years (ONC 170.315(d)(11): kept six years).
AUDIT_DISCLOSURE_REPORT_YEARS = env.int("AUDIT_DISCLOSURE_REPORT_YEARS", default=6)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Directory: a listing not verified for this long is marked stale.
DIRECTORY_STALE_AFTER = timedelta(days=365)

# Uploaded signed consent forms: outside static files, served only through an access-checked view.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
CONSENT_FORM_MAX_BYTES = 5 * 1024 * 1024

# Response targets (sla/): the targets themselves are SlaPolicy rows in the admin. Business time follows the
# receiving organization's opening hours; these are the hours of an organization that has none (Monday = 0,
# portal time zone; "24:00" closes at midnight).
SLA_DEFAULT_BUSINESS_HOURS = {day: [("08:00", "18:00")] for day in range(5)}
# The sweep runs every minute (beat); /health/ turns unhealthy and supervisors see a banner when it is older.
SLA_SWEEP_STALE_AFTER = timedelta(minutes=env.int("SLA_SWEEP_STALE_MINUTES", default=5))
# Referrals (and breaches) handled per stage per run; the rest wait a minute.
SLA_SWEEP_BATCH = 500
# A closed referral stays on the dashboard's "recently closed" tab this long.
REFERRAL_RECENTLY_CLOSED = timedelta(days=30)

# Exception queue: hours to resolve an item by severity (its due time); overdue items escalate once per
# further due period, up to this level.
EXCEPTION_QUEUE_DUE_HOURS = {"critical": 4, "high": 24, "medium": 72, "low": 168}
EXCEPTION_QUEUE_MAX_ESCALATION_LEVEL = 3

# Failed sign-ins (page and token API), per username and per client address: this many failures within
# the window lock that username or address out for the duration, even with the right password.
LOCKOUT_THRESHOLD = env.int("LOCKOUT_THRESHOLD", default=5)
# Per client address, higher: staff behind one proxy or office NAT share an address, and a handful of
# typos must not lock a whole office out.
LOCKOUT_ADDRESS_THRESHOLD = env.int("LOCKOUT_ADDRESS_THRESHOLD", default=20)
LOCKOUT_WINDOW = timedelta(minutes=env.int("LOCKOUT_WINDOW_MINUTES", default=15))
LOCKOUT_DURATION = timedelta(minutes=env.int("LOCKOUT_DURATION_MINUTES", default=15))

# Partner webhooks (Standard Webhooks 1.0, webhooks/). Development and tests post to local receivers over
# plain HTTP; production requires https and refuses private, loopback and link-local addresses (SSRF).
WEBHOOKS_REQUIRE_HTTPS = env.bool("WEBHOOKS_REQUIRE_HTTPS", default=False)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=True)
# Seconds to wait after each failed attempt (the first attempt is immediate): about three days in all.
WEBHOOK_RETRY_SCHEDULE = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600]
WEBHOOK_RETRY_JITTER = 0.2  # each wait is stretched or shortened by up to this fraction
WEBHOOK_CONNECT_TIMEOUT = 3
WEBHOOK_READ_TIMEOUT = 10
# An endpoint failing this many attempts in a row, or failing for this long, raises a partner-downtime exception.
WEBHOOK_DOWNTIME_FAILURES = env.int("WEBHOOK_DOWNTIME_FAILURES", default=5)
WEBHOOK_DOWNTIME_AFTER = timedelta(minutes=env.int("WEBHOOK_DOWNTIME_AFTER_MINUTES", default=60))
# After a secret rotation the previous secret keeps signing (a second signature) this long.
WEBHOOK_SECRET_OVERLAP = timedelta(hours=24)
