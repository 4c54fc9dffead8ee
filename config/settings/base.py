"""Settings shared by every environment, read from the environment (django-environ).

The defaults are the *embedded* quick start: no ``DATABASE_URL`` means a SQLite file in the project
folder, no ``REDIS_URL`` means Celery tasks run eagerly and the cache is local memory. Production
(``config.settings.production``) tightens what must be tightened and requires what must be given.
Every variable read here is documented in the README's configuration table.
"""

import warnings
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only good for the embedded quick start; production requires DJANGO_SECRET_KEY.
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="insecure-embedded-default-key-change-me-0123456789abcdef"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "simple_history",
    "import_export",
    "django_htmx",
    "axes",
    "csp",
    # ours
    "accounts",
    "providers",
    "plans",
    "mediation",
    "finance",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The periodic jobs after responses when no beat process runs (EMBEDDED_BEAT).
    "config.embedded_beat.EmbeddedBeatMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Renews a signed-in session's idle timeout at most once a minute.
    "config.middleware.SessionIdleRenewalMiddleware",
    "config.middleware.DutchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # no-store, private on every answer to a session, API key or patient token (DESIGN §7).
    "config.middleware.PrivateAnswersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware must be last: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Plain widgets (inputs, selects and their options) are written directly, not through a template
# each: the same markup, a fraction of the time on pages with hundreds of inputs
# (core/form_renderer.py).
FORM_RENDERER = "core.form_renderer.FastWidgetRenderer"

# --- Database ----------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded default: wait for a writer instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The public search's covering index (providers.WaitingTimeSeries) carries extra columns on
# PostgreSQL; SQLite builds it on its key columns, which is all the embedded default needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache, Celery ------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis unreachable = a cache that remembers nothing, never an error (DESIGN §7).
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="zb"),
            # On a healthy network Redis answers in well under a millisecond; a dead one must
            # not hold a request for seconds.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Europe/Amsterdam"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that hands a task to a dead broker gives up at once (the work waits in its outbox
# row, see the README): a short connect timeout (without one it could hang for minutes) and one
# immediate retry (for a pooled connection that died with a Redis restart), no more.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0}
# Without a beat process (the embedded default) the web process runs the periodic jobs below
# itself, each at most once every EMBEDDED_BEAT_INTERVAL_MINUTES (config/embedded_beat.py).
EMBEDDED_BEAT = env.bool("EMBEDDED_BEAT", default=CELERY_TASK_ALWAYS_EAGER)
EMBEDDED_BEAT_INTERVAL_MINUTES = env.int("EMBEDDED_BEAT_INTERVAL_MINUTES", default=5)
EMBEDDED_BEAT_CHECK_SECONDS = 60
# Periodic tasks; the database scheduler of django-celery-beat installs these entries at start.
CELERY_BEAT_SCHEDULE = {
    # Expire mediation offers past their time (and remind patients a day before), releasing slots.
    "mediation-offers-expire": {
        "task": "mediation.offers_expire",
        "schedule": crontab(minute="*/15"),
    },
    # Anonymise personal data of cases finished longer ago than the insurer's retention period.
    "mediation-cases-anonymise": {
        "task": "mediation.cases_anonymise",
        "schedule": crontab(hour=3, minute=30),
    },
    # Every mediator's morning digest of overdue cases (in-app and by mail; once a day).
    "mediation-overdue-digest": {
        "task": "mediation.overdue_digest",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon-fri"),
    },
    # Send case mails whose queue message was lost (e.g. a broker outage).
    "mediation-case-mails-flush": {
        "task": "mediation.case_mails_flush",
        "schedule": crontab(minute="*/10"),
    },
    # The nightly proactive scan of every insurer's consented waiting lists (issue 15).
    "mediation-proactive-scans-nightly": {
        "task": "mediation.proactive_scans_nightly",
        "schedule": crontab(hour=2, minute=15),
    },
    # Invitations: one reminder, then lapse; mails and scan parts the broker lost.
    "mediation-invitations-housekeeping": {
        "task": "mediation.invitations_housekeeping",
        "schedule": crontab(minute="*/15"),
    },
    # Hand the broker the waiting-time imports it could not take when they were uploaded.
    "providers-waiting-time-imports-dispatch": {
        "task": "providers.waiting_time_imports_dispatch",
        "schedule": crontab(minute="*"),
    },
    # Persistent overruns (three cycles above the norm's maximum): flag and clear for all series
    # (a submission refreshes its own series at once; a cycle without reports breaks a run).
    "providers-series-overruns-refresh": {
        "task": "providers.series_overruns_refresh",
        "schedule": crontab(hour=5, minute=15),
    },
    # Tell planners and contracting insurers about new persistent overruns and clearances.
    "mediation-persistent-overruns-notify": {
        "task": "mediation.persistent_overruns_notify",
        "schedule": crontab(minute="*/15"),
    },
    # Fetch and import the national NZa open data (only when NZA_OPEN_DATA_URL is set; the NZa
    # publishes every two weeks, on Tuesdays: a daily look costs one download).
    "providers-nza-open-data-fetch": {
        "task": "providers.nza_open_data_fetch",
        "schedule": crontab(hour=6, minute=15),
    },
    # Hand the broker the assignment-run parts it could not take when the run started.
    "mediation-assignment-parts-dispatch": {
        "task": "mediation.assignment_parts_dispatch",
        "schedule": crontab(minute="*/5"),
    },
}

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username/IP before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "home"

# Staff sessions end after this many minutes without a request (idle timeout): a session is
# renewed at most once a minute (config.middleware.SessionIdleRenewalMiddleware; not a database
# write per request) and expires that long after its last renewal.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_RENEWAL_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# In the database only: sessions must survive a Redis outage, and a session cached in Redis
# could outlive a logout made while Redis was away.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False

# The real client address (core.client_ip): behind this many trusted proxies (e.g. 1 for the TLS
# proxy of a production deployment) it is taken from X-Forwarded-For, counted from the right;
# with 0, X-Forwarded-For is ignored. Login lockout, API throttling and the audit trail use it.
# AUDIT_TRUST_X_FORWARDED_FOR=true is the deprecated way of saying 1.
TRUSTED_PROXY_COUNT = env.int(
    "TRUSTED_PROXY_COUNT",
    default=1 if env.bool("AUDIT_TRUST_X_FORWARDED_FOR", default=False) else 0,
)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"

# --- Security headers ----------------------------------------------------------------------------
# Everything is served by the app itself (no CDN), so the policy can be strict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Api-Key first: its WWW-Authenticate header turns "no credentials" into 401 (DESIGN §8).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["core.filters.ApiFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON in (DESIGN §8), with a nesting limit: deep JSON is a 400, not a RecursionError; a file
    # upload names its own parser (multipart).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.DepthLimitedJSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "public": env.str("THROTTLE_PUBLIC_RATE", default="120/minute"),
        # Accepted mediation requests per client; invalid submissions count against the looser
        # public_invalid instead (core.throttling.RateBudget), so typos do not lock a family out.
        "public_write": env.str("THROTTLE_PUBLIC_WRITE_RATE", default="10/hour"),
        "public_invalid": env.str("THROTTLE_PUBLIC_INVALID_RATE", default="60/hour"),
    },
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(  # type: ignore[attr-defined]
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Zorgbemiddeling & Inhaalzorg API",
    "DESCRIPTION": (
        "Public contract (v1) of the insurer's system for catch-up care, waiting-time mediation "
        "and financial continuity. Authenticate with `Authorization: Api-Key <key>` (organisation "
        "systems), a staff session, or `X-Access-Token` (a patient's own case)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a "kind" field with different choices: name their enums after the model.
    "ENUM_NAME_OVERRIDES": {
        "ProviderKindEnum": "providers.models.ProviderKind",
        "WaitingTimeKindEnum": "providers.models.WaitingTimeKind",
        "CaseStatusEnum": "mediation.models.CaseStatus",
        "CaseOutcomeEnum": "mediation.models.CaseOutcome",
        "OfferStatusEnum": "mediation.models.OfferStatus",
        "PlanStatusEnum": "plans.models.PlanStatus",
        "ArrangementKindEnum": "finance.models.ArrangementKind",
        "ArrangementStatusEnum": "finance.models.ArrangementStatus",
        "PaymentKindEnum": "finance.models.PaymentKind",
        "ClaimStatusEnum": "finance.models.ClaimStatus",
        "ChannelEnum": "mediation.models.Channel",
        "AuditOutcomeEnum": "accounts.models.AuditOutcome",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_error_responses",
    ],
}

# --- Product settings -------------------------------------------------------------------------
# Days after which a waiting-time figure counts as stale (DESIGN §3.1).
WAITING_TIME_STALE_DAYS = env.int("WAITING_TIME_STALE_DAYS", default=28)
# The API imports a waiting-time CSV file of at most this many bytes while the client waits (201);
# a larger one goes to the task queue (202 with the import's status URL, see
# docs/waiting-time-import.md).
# The national NZa waiting-time data (CSV or a JSON file of Zorgbeeld records) fetched daily and
# imported by the beat task providers.nza_open_data_fetch; empty (the default): no fetch.
NZA_OPEN_DATA_URL = env.str("NZA_OPEN_DATA_URL", default="")
NZA_OPEN_DATA_TIMEOUT_SECONDS = env.int("NZA_OPEN_DATA_TIMEOUT_SECONDS", default=60)
WAITING_TIME_IMPORT_SYNC_MAX_BYTES = env.int(
    "WAITING_TIME_IMPORT_SYNC_MAX_BYTES", default=5 * 1024 * 1024
)
# The site's own address, for absolute links in mails (e.g. the patient's status page).
# Retention of patients' personal data is an insurer setting (mediation.MediationSettings).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="zorgbemiddeling@localhost")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Serve static files straight from the source folders, so the quick start needs no collectstatic.
# Production serves the collected, compressed files instead. Until collectstatic has run there is
# no STATIC_ROOT, which WhiteNoise would warn about on every start.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
