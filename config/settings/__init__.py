"""Settings of Ai, read from the environment with safe development defaults.

Environment variables:

- ``DATABASE_URL``: PostgreSQL URL. Unset, the project-local cluster that
  ``scripts/devdb.sh`` starts is used.
- ``SECRET_KEY``: required in production (``config.settings.production``).
- ``DEBUG``: ``1``/``true`` to turn on Django's debug mode.
- ``AI_BASE_DOMAIN``: the operators' host; municipalities live on its
  sub-domains (``fujiyoshida.<base>``). Default ``localhost``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)

BASE_DOMAIN = os.environ.get("AI_BASE_DOMAIN", "localhost")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}"] + [
    h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h
]

DEV_DATABASE_URL = "postgres://ai:ai@127.0.0.1:{port}/ai".format(
    port=os.environ.get("AI_PGPORT", "54329")
)


def parse_database_url(url: str, **settings) -> dict:
    """``dj_database_url.parse`` that also takes libpq's multi-host form (a primary and its standby).

    ``postgres://ai:ai@db1:5432,db2:5432/ai?target_session_attrs=read-write`` becomes
    ``HOST="db1,db2"``, ``PORT="5432,5432"``: libpq tries the hosts in turn and keeps the one
    that accepts writes, so after a failover the next new connection finds the promoted
    standby without a restart of Ai (see "Continuity" in ARCHITECTURE.md).
    """
    scheme, sep, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hostlist = netloc.rpartition("@")
    if not sep or "," not in hostlist:
        return dj_database_url.parse(url, **settings)
    hosts, ports = [], []
    for item in hostlist.split(","):
        host, port = item, ""
        if item.startswith("["):  # [::1]:5432
            host, _, after = item[1:].partition("]")
            port = after.removeprefix(":")
        elif ":" in item:
            host, port = item.rsplit(":", 1)
        hosts.append(host)
        ports.append(port or "5432")
    config = dj_database_url.parse(f"{scheme}://{userinfo}{at}placeholder{slash}{tail}", **settings)
    config["HOST"], config["PORT"] = ",".join(hosts), ",".join(ports)
    return config


DATABASES = {
    "default": parse_database_url(
        os.environ.get("DATABASE_URL", DEV_DATABASE_URL),
        engine="tenants.postgresql_backend",
        # Long-lived connections cache every schema's table definitions
        # (django-tenants' known memory trap): recycle them.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A connection that died with its server (a failover) is found out before the
        # request uses it, and a new one is opened (to the promoted standby).
        conn_health_checks=True,
    )
}
# A server that does not answer (a dead primary's host) is given up on quickly, so the next
# host of a multi-host URL is tried within the request's time.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3"))
)

# A worker closes its connection once it has served this many municipalities
# (tenants/connections.py):
# a backend grows by about 0.4 MB per schema it touches (bench/national.py).
AI_CONN_MAX_SCHEMAS = int(os.environ.get("AI_CONN_MAX_SCHEMAS", "50"))
# No server-side prepared statements: a plan prepared under one municipality's search_path
# is re-planned under the next one, so with many schemas they cost more than they save.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

# --- Tenancy -----------------------------------------------------------------

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # The job queue's tables and functions exist once, in public: every worker on every
    # machine takes jobs of every municipality from there.
    "procrastinate.contrib.django",
    "tenants.jobs",
    # The operators' site logs in with a second factor and locks out guessed passwords too.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
# Each municipality gets its own users, sessions and tokens: a teacher's
# account exists only inside its municipality's schema.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework.authtoken",
    # A municipality's job records (parameters, results, who asked) stay in its schema.
    "tenants.jobs",
    # Second factors (TOTP, recovery codes) and failed-login records live with the users.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # Login, MFA, passwords, sessions and API tokens: before schools so that it is not
    # taken for a domain app of the menu and the demo seed (it has neither).
    "schools.accounts",
    "schools",
    "attendance",
    "gradebook",
    "timetable",
]
INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS] + ["api"]

TENANT_MODEL = "tenants.Municipality"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# New municipalities are cloned from a migrated template schema instead of
# replaying every migration (see tenants/provisioning.py).
TENANT_BASE_SCHEMA = "tenant_template"
# Set search_path once per request and schema switch, not before every cursor: about half
# of the database round trips of a save (bench/loadtest_attendance.py measures it).
# Safe because the backend forgets the cached path on rollback and on every set_tenant().
TENANT_LIMIT_SET_CALLS = True
# migrate_all --slow migrates the municipalities in parallel (django-tenants' multiprocessing
# executor): one process per core unless told (bench/national.py measures 1,800 schemas).
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(
    os.environ.get("AI_MIGRATE_PROCESSES", str(max(2, os.cpu_count() or 2)))
)
TENANT_CREATION_FAKES_MIGRATIONS = True

MIDDLEWARE = [
    "config.logging.RequestIdMiddleware",
    # Outermost but one: every response gets the policy, the operators' site, a tenant's,
    # and the 404/503 pages that TenantMainMiddleware and the suspension check answer.
    "csp.middleware.CSPMiddleware",
    # django-tenants' TenantMainMiddleware, with Japanese answers for unknown addresses.
    "tenants.middleware.MunicipalityHostMiddleware",
    "tenants.middleware.SuspendedMunicipalityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.JapaneseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # NUL bytes and JSON nested too deep: a 400 before PostgreSQL or a parser makes it a 500.
    "config.middleware.HostileInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Read-only mode (tenants.readonly): every write refused with a 503, the banner's state.
    "tenants.middleware.ReadOnlyMiddleware",
    # Idle sessions, the second factor and a first password to change (accounts/).
    "schools.accounts.middleware.AccountGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp 4): no inline script anywhere, no eval, no plugins, no
# framing. Scripts are static files (static/ai/ai.js handles print buttons and confirmations
# through data- attributes); inline style attributes stay allowed (margins, bar widths).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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
                "django.template.context_processors.i18n",
                "config.context_processors.ai",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Cookies stay on the host that set them (no SESSION_COOKIE_DOMAIN): a session
# of one municipality is never sent to another.
SESSION_COOKIE_NAME = "ai_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "ai_csrftoken"
# Shared staff-room PCs: the session ends with the browser, after AI_SESSION_IDLE_MINUTES
# without a request (accounts.middleware), and at the latest after a working day.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60
AI_SESSION_IDLE_MINUTES = int(os.environ.get("AI_SESSION_IDLE_MINUTES", "30"))
# 確定 and whole-municipality exports ask for the password or a code again when the last
# verification is older than this (schools.permissions.recent_verification_required).
AI_STEP_UP_MINUTES = int(os.environ.get("AI_STEP_UP_MINUTES", "10"))
# API tokens made in the browser expire after this many days unless the owner picks fewer;
# tokens of rest_framework.authtoken (made in the shell) expire as long after their creation.
AI_API_TOKEN_DAYS = int(os.environ.get("AI_API_TOKEN_DAYS", "90"))
OTP_TOTP_ISSUER = "Ai 校務支援システム"
OTP_TOTP_IMAGE = None

# --- Failed logins (django-axes, in each municipality's schema) ------------------
# An account is locked for AXES_COOLOFF_TIME after AXES_FAILURE_LIMIT wrong passwords;
# an address with AI_LOGIN_ADDRESS_FAILURE_LIMIT failures over every account in that time
# may not try again until it passes (accounts.lockout): schools share one address, so the
# address limit is higher than an account's.
AXES_FAILURE_LIMIT = int(os.environ.get("AI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("AI_LOGIN_LOCK_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successes and logouts are in the audit trail
AXES_LOCKOUT_CALLABLE = "schools.accounts.lockout.lockout_response"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "schools.accounts.policy.client_ip"
# Reverse proxies in front of Ai that append to X-Forwarded-For (0: REMOTE_ADDR is the client).
AI_TRUSTED_PROXIES = int(os.environ.get("AI_TRUSTED_PROXIES", "0"))
# The address limit above is Ai's own (accounts.views.LoginView), not axes' ip_address one.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AI_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AI_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))

# --- Read-only mode (tenants.readonly) ----------------------------------------------------
# AI_READ_ONLY=1: this installation is pointed at a read-only replica (a hot standby), where
# PostgreSQL refuses every write. Pages show with a banner, writes are refused with a 503;
# sessions live in a signed cookie, failed logins in the cache, audit records in the log.
AI_READ_ONLY = os.environ.get("AI_READ_ONLY", "") in ("1", "true", "on", "yes")
AI_READ_ONLY_REASON = os.environ.get("AI_READ_ONLY_REASON", "")
# Database sessions, or signed-cookie ones while AI_READ_ONLY (config.sessions).
SESSION_ENGINE = "config.sessions"
# django-axes' database handler, or its cache handler while AI_READ_ONLY (config.axes).
AXES_HANDLER = "config.axes.ReadOnlyAwareHandler"

# --- I18N --------------------------------------------------------------------

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files: served by Ai itself (school networks are closed) -----------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = BASE_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Backups of municipalities (tenants.backups, issue 13) ---------------------
# A folder apart from the database's own (put it on another disk or mount); git-ignored.
AI_BACKUP_DIR = Path(os.environ.get("AI_BACKUP_DIR", BASE_DIR / "backups"))
# Scheduled backups kept: the newest of each of the last N days, ISO weeks and months.
AI_BACKUP_KEEP = dict(
    zip(
        ("daily", "weekly", "monthly"),
        (int(n) for n in os.environ.get("AI_BACKUP_KEEP", "7,4,12").split(",")),
        strict=True,
    )
)
# The operators' dashboard flags a municipality without a successful backup this recent.
AI_BACKUP_STALE_HOURS = int(os.environ.get("AI_BACKUP_STALE_HOURS", "24"))
# A deleted municipality is kept (suspended) this long before it may be purged.
AI_DELETE_GRACE_DAYS = int(os.environ.get("AI_DELETE_GRACE_DAYS", "30"))
# When the worker queues the nightly backup of every municipality (cron, UTC; "" = never).
AI_BACKUP_CRON = os.environ.get("AI_BACKUP_CRON", "0 17 * * *")

# Uploads: spreadsheets are parsed in memory up to this size (see the import pipeline).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Jobs: long work run by `manage.py procrastinate worker` (tenants/jobs) ----------

PROCRASTINATE_WORKER_DEFAULTS = {
    "queues": ["jobs"],
    "concurrency": int(os.environ.get("AI_WORKER_CONCURRENCY", "2")),
    # Ctrl-C or a deploy: running jobs get this long, then go back to the queue.
    "shutdown_graceful_timeout": float(os.environ.get("AI_WORKER_GRACE_SECONDS", "10")),
    # Our own jobs table keeps the history; the queue keeps only what is not done.
    "delete_jobs": "successful",
}

# Imports (schools/imports/background.py): a file above this many rows (estimated) or bytes
# is read, planned and committed by a job with a progress page; smaller ones in the request.
AI_IMPORT_JOB_ROWS = int(os.environ.get("AI_IMPORT_JOB_ROWS", "2000"))
AI_IMPORT_JOB_BYTES = int(os.environ.get("AI_IMPORT_JOB_BYTES", str(2 * 1024 * 1024)))
# A staff import that sets more initial passwords than this (each hash takes about a second)
# is committed by a job too.
AI_IMPORT_JOB_PASSWORDS = int(os.environ.get("AI_IMPORT_JOB_PASSWORDS", "5"))

# --- API ---------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous call then gets 401 with WWW-Authenticate.
        "schools.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.errors.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [],
    # Per token (or session user) and per address; the rates are AI_API_THROTTLE_RATES.
    "DEFAULT_THROTTLE_CLASSES": [
        "schools.accounts.throttling.TokenRateThrottle",
        "schools.accounts.throttling.AddressRateThrottle",
    ],
}
AI_API_THROTTLE_RATES = {
    "token": os.environ.get("AI_API_RATE_PER_TOKEN", "600/minute"),
    "address": os.environ.get("AI_API_RATE_PER_ADDRESS", "1200/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ai 校務支援システム API",
    "DESCRIPTION": "REST API of one municipality's Ai. Every path is relative to the "
    "municipality's own host; a token or session of one municipality is worthless on another.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: school networks are closed to CDNs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The error body ({"error": {"code", "message", "fields"}}) on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.errors.document_errors",
    ],
}

# --- Logging: every line of a request carries its schema and request id ------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "config.logging.RequestContextFilter"},
    },
    "formatters": {
        "ai": {
            "format": "%(asctime)s %(levelname)s [%(schema_name)s %(request_id)s] "
            "%(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "ai",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Task registration is logged at every start of every command: only the worker's own
        # lines (job started, succeeded, failed) are worth reading.
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
    },
}
