"""Settings for Grid Governance: one module, every value from the environment.

Every variable is listed in ``.env.example``. A bad value stops start-up with a
message that names the variable (see ``governance/env.py``).
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from governance import devkeys, env

BASE_DIR = Path(__file__).resolve().parent.parent
# Relative paths are taken from the project directory, wherever the command runs.
VAR_DIR = BASE_DIR / env.string("VAR_DIR", "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.boolean("DEBUG", False)

SECRET_KEY = env.string("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off: set it to a long random value "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))")'
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"  # noqa: S105

# Personal data at rest (core.crypto): AES-GCM keys for ID numbers and mobiles, and the HMAC
# keys of their lookup columns, each "id:base64,…" with the current key first. Required with
# DEBUG off; with DEBUG on (make run) the development keys of governance/devkeys.py.
for _name in ("FIELD_ENCRYPTION_KEYS", "FIELD_HASH_KEYS"):
    if not DEBUG and not env.string(_name, ""):
        raise ImproperlyConfigured(
            f"{_name} is required when DEBUG is off: id:base64-key, the current key first "
            "(python manage.py generate_field_key makes one; README, Personal data at rest)"
        )
FIELD_ENCRYPTION_KEYS = env.keys("FIELD_ENCRYPTION_KEYS", devkeys.FIELD_ENCRYPTION_KEYS, size=32)
FIELD_HASH_KEYS = env.keys("FIELD_HASH_KEYS", devkeys.FIELD_HASH_KEYS)

ALLOWED_HOSTS = env.listing("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is required when DEBUG is off: a comma-separated list of host names"
    )
CSRF_TRUSTED_ORIGINS = env.listing("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "auditlog",
    "axes",
    "django_ratelimit",
    # A second factor at sign-in: authenticator apps' codes (accounts/twofactor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Project apps, in dependency order: each imports only from those above it.
    "core",
    "accounts",
    "grids",
    # Needs grids for areas' group robots (WebhookTarget.area); every feature app above may
    # notify.
    "notifications",
    "visits",
    "branches",
    "stations",
    "points",
    "tickets",
    "appraisal",
    "mediation",
    "safety",
    "deliberation",
    "estates",
    "onboarding",
    "dashboards",
]

MIDDLEWARE = [
    # Outermost: every response has the request id, every log line of the request carries it,
    # and the latency measured covers the whole stack (core/observe.py).
    "core.observe.RequestIdMiddleware",
    "core.observe.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the path or a field: NUL cannot be stored (core.middleware).
    "core.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Which database a request's reads may use; none of this without a replica (core.replica).
    "core.replica.ReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the timeouts, which say why a session ended.
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session timeouts, before anything uses the user (accounts.timeouts).
    "accounts.timeouts.SessionTimeoutMiddleware",
    # A signed-in session's "last seen", written at most every few minutes (accounts.signins).
    "accounts.signins.SessionSeenMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.MustChangePasswordMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # django-auditlog's, with the client's address as core.clientip reads it.
    "core.clientip.AuditlogMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"
# The menu and what each page shows of the apps above its own (core.navigation).
NAVIGATION = "governance.navigation"
# Read from the cache with the signed-in user (accounts.backends), for every page reads them:
# functions of the user's id giving cache keys.
USER_CACHE_KEYS = ["grids.scope.posts_cache_keys_of", "notifications.bell.cache_keys_of"]
WSGI_APPLICATION = "governance.wsgi.application"
ASGI_APPLICATION = "governance.asgi.application"

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
                "notifications.context_processors.bell",
                "governance.navigation.menu",
                "core.context_processors.display",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default runs the web server and a Celery worker on one file:
    # WAL and a busy timeout let them write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests on a file, not in memory: an in-memory test database is one connection shared by
    # the live server's threads, and two page requests at once (a chart and a panel) block.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.integer("CONN_MAX_AGE", 60, minimum=0)
    # Without health checks a PostgreSQL restart surfaces as errors on reused connections.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL compiles a query with JIT once its estimated cost passes jit_above_cost: seconds
# of compiling for a page's query that runs in milliseconds (the assign picker took 2.5 s of
# JIT for 7 ms of work at district scale, issue 27). Our queries are short; the nightly
# rebuilds that might gain run as well without it.
DATABASE_JIT = env.boolean("DATABASE_JIT", False)


def _without_jit(database: dict) -> None:
    if database["ENGINE"] == "django.db.backends.postgresql" and not DATABASE_JIT:
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()


_without_jit(DATABASES["default"])
# A streaming replica of that PostgreSQL for read-only work (dashboards, exports, league
# tables) that opts in with core.replica.reads_from_replica; everything else, and whoever just
# wrote, reads the primary (core/db_router.py, README "Read replica").
_replica = env.database("DATABASE_REPLICA_URL", "")
# Seconds after a user's POST during which their pages read the primary, so a page after a
# write shows it even while the replica lags.
REPLICA_PIN_SECONDS = env.integer("REPLICA_PIN_SECONDS", 10, minimum=0)
if _replica:
    _postgres = "django.db.backends.postgresql"
    if DATABASES["default"]["ENGINE"] != _postgres or _replica["ENGINE"] != _postgres:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL is a streaming replica of the PostgreSQL in DATABASE_URL: "
            "both must be postgres://"
        )
    DATABASES["replica"] = {
        **_replica,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # A replica that does not answer costs a page at most this, then is left alone for a
        # while (core/replica.py).
        "OPTIONS": {"connect_timeout": env.integer("REPLICA_CONNECT_TIMEOUT", 2, minimum=1)},
        # Never created by the tests: the test database made on the primary reaches the
        # replica by streaming (tests/core/test_replica.py points the alias back at it).
        "TEST": {"MIRROR": "default"},
    }
    _without_jit(DATABASES["replica"])
    DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -----------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", "", ("redis", "rediss"))
# Whether every process sees the same cache: only then may facts read on every page (a
# user's posts, the bell's count) be kept there (core/versioned.py).
SHARED_CACHE = bool(REDIS_URL)

# Redis down means slower, never broken: a failed read is a miss (the caller reads the
# database), a failed write is skipped, each logged (DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS).
# Short timeouts, and a pause after a failure (core/cache.py), keep a page fast while Redis
# is away; core/versioned.py and core/sessions.py re-send what they could not write; the rate
# limits fail open (README).
# core.cache: django-redis that stops asking a Redis that just failed, for a moment.
REDIS_CACHE_BACKEND = "core.cache.PausingRedisCache"
REDIS_CACHE_OPTIONS = {
    "IGNORE_EXCEPTIONS": True,
    "SOCKET_CONNECT_TIMEOUT": 0.25,
    "SOCKET_TIMEOUT": 0.5,
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Redis Sentinel (README "Scaling"): the sentinels' addresses, and the name they know the
# master by. The cache and the broker ask them where the master is, and again after a
# failover; REDIS_URL then gives only the password and database number (its host is unused).
REDIS_SENTINELS = env.hosts("REDIS_SENTINELS", 26379)
REDIS_SENTINEL_MASTER = env.string("REDIS_SENTINEL_MASTER", "mymaster")
if REDIS_SENTINELS and not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_SENTINELS needs REDIS_URL for the password and database: redis://:password@master/0"
    )
_redis = urlsplit(REDIS_URL)
# The user and password as written (still %-escaped), for the URLs built from them below.
_redis_auth = _redis.netloc.rpartition("@")[0] + "@" if "@" in _redis.netloc else ""
_redis_db = _redis.path.strip("/") or "0"
if REDIS_URL:
    # django-redis, not Django's own Redis cache: Django builds a new client for every
    # operation (~170 response callbacks each time, more than the round trips cost on a
    # signed-in page); django-redis keeps one per server, sharing its connection pool.
    CACHES = {
        "default": {
            "BACKEND": REDIS_CACHE_BACKEND,
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
    if REDIS_SENTINELS:
        # django-redis's Sentinel client reads the master's name where the host would be.
        CACHES["default"]["LOCATION"] = (
            f"{_redis.scheme}://{_redis_auth}{REDIS_SENTINEL_MASTER}/{_redis_db}"
        )
        CACHES["default"]["OPTIONS"] = {
            **REDIS_CACHE_OPTIONS,
            "CLIENT_CLASS": "django_redis.client.SentinelClient",
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "SENTINELS": REDIS_SENTINELS,
            "SENTINEL_KWARGS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    # Every signed-in page reads the session: from Redis, with the database behind it. Not on
    # the embedded default, whose per-process cache would keep a signed-out session alive in
    # the other processes. core.sessions: Django's cached_db, kept true across an outage.
    SESSION_ENGINE = "core.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.url(
    "CELERY_BROKER_URL",
    # kombu's form for Sentinel: one sentinel:// address per sentinel, joined by ";".
    ";".join(f"sentinel://{_redis_auth}{host}:{port}/{_redis_db}" for host, port in REDIS_SENTINELS)
    or REDIS_URL
    or "filesystem://",
    ("redis", "rediss", "sentinel", "amqp", "filesystem"),
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded broker for a laptop: both folders must be the same directory.
    _queue = VAR_DIR / "celery"
    for _d in ("queue", "control"):
        (_queue / _d).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "queue"),
        "data_folder_out": str(_queue / "queue"),
        "control_folder": str(_queue / "control"),
    }
else:
    # max_retries 0: publishing to a broker that is down fails at once (kombu's default is
    # about 6 s of retries), so a request that enqueues work during an outage stays fast;
    # the periodic jobs pick the work up (core/queue.py). Workers' own reconnects are
    # governed by broker_connection_retry, not by this.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}
    if CELERY_BROKER_URL.startswith("sentinel://"):
        CELERY_BROKER_TRANSPORT_OPTIONS["master_name"] = REDIS_SENTINEL_MASTER
# Tests only: run tasks inline (the real-worker tests use Redis and ignore this).
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker went away (a failover, a restart) reconnects for as long as it takes:
# Celery's default stops after 100 attempts (about 50 minutes) and the worker exits.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Workers scale by queue (docker-compose.yml, README "Scaling"): each kind of work has a queue
# and a worker of its own, so a backlog of one never delays another. Every task is routed here
# by name, those on the default queue too: tests/core/test_queues.py fails for a task that is
# not, and for a queue that no worker of docker-compose.yml or `make run` consumes.
CELERY_TASK_DEFAULT_QUEUE = "celery"
_SWEEP = {"queue": "sweep"}
_ROLLUPS = {"queue": "rollups"}
_DEFAULT = {"queue": CELERY_TASK_DEFAULT_QUEUE}
CELERY_TASK_ROUTES = {
    # The deadline sweeps and the beat tick: a minute late is a reminder late, and /healthz
    # reads the tick. Short, every minute or five: never behind anything else.
    "core.tasks.beat_tick": _SWEEP,
    "tickets.tasks.sweep_deadlines": _SWEEP,
    "safety.tasks.sweep_hazards": _SWEEP,
    # Messages going out: mostly waiting on the network, a worker of many threads.
    "notifications.delivery.deliver_task": {"queue": "deliveries"},
    # A street's 100,000-resident import takes a minute or two: never in front of the sweep.
    "onboarding.tasks.check_import": {"queue": "imports"},
    "onboarding.tasks.write_import": {"queue": "imports"},
    # Aggregates over months of requests and visits: seconds to minutes of one CPU each.
    "dashboards.tasks.refresh_rollups": _ROLLUPS,
    "dashboards.tasks.refresh_standing": _ROLLUPS,
    "dashboards.tasks.rebuild_recent_rollups": _ROLLUPS,
    "appraisal.tasks.compute_scorecards": _ROLLUPS,
    "appraisal.tasks.propose_promotions": _ROLLUPS,
    # The rest, on the default queue: short periodic jobs, and the tally of one grid after
    # an edit. The two watchdogs stay off the queues they watch: send_due_deliveries would
    # wait behind the backlog it tops up, resume_imports behind the import it checks on.
    "grids.tasks.refresh_grid_tally": _DEFAULT,
    "grids.tasks.refresh_all_tallies": _DEFAULT,
    "grids.tasks.fold_register_marks": _DEFAULT,
    "grids.tasks.end_sessions_after_last_post": _DEFAULT,
    "notifications.tasks.send_due_deliveries": _DEFAULT,
    "onboarding.tasks.resume_imports": _DEFAULT,
    "tickets.tasks.send_digests": _DEFAULT,
    # A resident's photo re-encoded after the request was taken (a second of CPU at most),
    # and the sweep behind it.
    "tickets.tasks.process_photo": _DEFAULT,
    "tickets.tasks.process_waiting_photos": _DEFAULT,
    "tickets.tasks.fold_board_tallies": _DEFAULT,
    "tickets.tasks.refresh_board_tallies": _DEFAULT,
    "points.tasks.check_balances": _DEFAULT,
    "points.tasks.expire_points": _DEFAULT,
    "accounts.tasks.purge_signins": _DEFAULT,
    # Short batches in their own transactions: minutes at most, at night.
    "core.tasks.apply_retention": _DEFAULT,
    "mediation.tasks.remind_mediation_follow_ups": _DEFAULT,
}

# --- Imports (onboarding/files.py: every file from outside is read as hostile) ------------
IMPORT_MAX_BYTES = env.integer("IMPORT_MAX_BYTES", 40 * 1024 * 1024, minimum=1024)
IMPORT_MAX_UNPACKED_BYTES = env.integer(
    "IMPORT_MAX_UNPACKED_BYTES", 400 * 1024 * 1024, minimum=1024
)
IMPORT_MAX_ROWS = env.integer("IMPORT_MAX_ROWS", 200_000, minimum=1)

# --- Authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, with the signed-in user kept in the shared cache (accounts/backends.py).
    "accounts.backends.ModelBackend",
]
# 等保 2.0 level 3: long enough, several kinds of character, not a common password, not the
# user name (accounts/passwords.py). A password set before a rule is replaced at the next
# sign-in.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.NotContainingLoginValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.integer("PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# 等保 2.0: a signed-in session ends after this long without a request, and this long after
# the sign-in however busy (accounts/timeouts.py). 0 idle minutes: no idle limit.
SESSION_IDLE_MINUTES = env.integer("SESSION_IDLE_MINUTES", 30, minimum=0)
SESSION_ABSOLUTE_HOURS = env.integer("SESSION_ABSOLUTE_HOURS", 12, minimum=1)
# Sessions not signed in (a sign-in waiting for its code, a language chosen).
SESSION_COOKIE_AGE = env.integer("SESSION_COOKIE_AGE", SESSION_ABSOLUTE_HOURS * 3600, minimum=300)

# The name an authenticator app shows next to the user name.
OTP_TOTP_ISSUER = "Grid Governance"

# Revealing a full ID or mobile number asks for the password again once per this many
# minutes (accounts/stepup.py).
STEPUP_MINUTES = env.integer("STEPUP_MINUTES", 15, minimum=1)
# Whoever may reveal personal data in full or export it above the limit must have a second
# factor (accounts/twofactor.py; the rule is grids.privacy.needs_second_factor).
SECOND_FACTOR_FOR_PERSONAL_DATA = env.boolean("SECOND_FACTOR_FOR_PERSONAL_DATA", True)
# A list export with personal data above this many rows needs an approval one level up
# (grids/exports.py); an approval can be used for this many hours.
EXPORT_APPROVAL_ROWS = env.integer("EXPORT_APPROVAL_ROWS", 200, minimum=1)
EXPORT_APPROVAL_HOURS = env.integer("EXPORT_APPROVAL_HOURS", 24, minimum=1)

AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5, minimum=1)
# The default cool-off is "never": a mistyped password would lock a grid worker out for good.
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The template with the time left, and that time in Retry-After (accounts/lockout.py).
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"
# Otherwise each attempt during a lockout restarts it, and a stranger could keep someone
# locked out for good by trying once every few minutes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Count the client behind the proxy, as the rate limits do (core/clientip.py).
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_VERBOSE = False

# --- Internationalisation -----------------------------------------------------------------
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LANGUAGE_CODE = env.choice("LANGUAGE_CODE", "zh-hans", [code for code, _name in LANGUAGES])
TIME_ZONE = env.time_zone("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request if it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.string("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.boolean("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------------------
_secure = not DEBUG
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", _secure)
# Load balancers probe, and Prometheus scrapes, over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if env.boolean("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000 if _secure else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", _secure)
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", _secure)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env.boolean(
    "SECURE_COOKIES", _secure
)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy every request comes from the proxy's address: name the header that
# carries the client's own address (nginx: proxy_set_header X-Real-IP $remote_addr). The
# public forms' rate limits, the sign-in lockout and the audit log all read it (core/clientip.py).
_ip_header = env.string("RATELIMIT_IP_HEADER", "")
CLIENT_IP_META_KEY = "HTTP_" + _ip_header.upper().replace("-", "_") if _ip_header else "REMOTE_ADDR"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
    }
}

# --- Email --------------------------------------------------------------------------------
_email = env.email("EMAIL_URL", "consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "grid-governance@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Third-party apps ---------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Project ------------------------------------------------------------------------------
# The beat tick older than this makes /healthz say "degraded" (still 200: core/health.py).
HEALTH_BEAT_MAX_AGE = timedelta(seconds=env.integer("HEALTH_BEAT_MAX_AGE", 180, minimum=60))
# The oldest due delivery waiting longer than this makes /healthz say "degraded" (still 200).
HEALTH_DELIVERY_MAX_AGE = timedelta(seconds=env.integer("HEALTH_DELIVERY_MAX_AGE", 600, minimum=60))
DEMO_PASSWORD = env.string("DEMO_PASSWORD", "demo-grid-2026")

# --- Seeing what runs (README "Metrics and logs") -------------------------------------------
# /metrics answers only these addresses (a request that came through a proxy never counts as
# one of them) or a request with "Authorization: Bearer METRICS_TOKEN"; anyone else gets 404.
METRICS_ALLOWED_IPS = env.networks("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env.string("METRICS_TOKEN", "")
# The Grafana dashboard (deploy/grafana/grid-governance.json) as imported: linked from
# /operations/ when set.
GRAFANA_URL = env.string("GRAFANA_URL", "")
# json: one JSON object a line (time, level, logger, message, request_id, …): for a log
# collector. plain: for a person at a terminal (make run).
LOG_FORMAT = env.choice("LOG_FORMAT", "plain", ["plain", "json"])
# A worker's own log handlers (to --logfile, or stderr) write LOG_FORMAT with the request id:
# governance/celery.py sets them after Celery has set up its logging.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "()": "core.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s%(request_tag)s %(name)s %(message)s",
        },
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    # axes logs every sign-in at INFO; lockouts (WARNING) are what operators need.
    "loggers": {"axes": {"level": "WARNING"}},
    "root": {
        "handlers": ["console"],
        "level": env.choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"]),
    },
}

# --- Service stations (stations app) and photo uploads -------------------------------------
# The "15-minute service circle": a household is inside when the straight-line distance to its
# nearest open station, times the detour factor, is at most this many metres.
SERVICE_CIRCLE_METRES = env.integer("SERVICE_CIRCLE_METRES", 1200, minimum=1)
# Walking paths are longer than the straight line: 1.0 = straight line, 1.3 = 30% longer.
SERVICE_CIRCLE_DETOUR = env.number("SERVICE_CIRCLE_DETOUR", 1.0, minimum=1.0, maximum=5.0)
# Every uploaded photo passes core.images.clean_image: byte limit, pixel cap, re-encoded JPEG
# (the public form's in two halves: checked in the request, re-encoded by a task).
IMAGE_UPLOAD_MAX_BYTES = env.integer("IMAGE_UPLOAD_MAX_MB", 10, minimum=1) * 1024 * 1024
IMAGE_MAX_PIXELS = env.integer("IMAGE_MAX_MEGAPIXELS", 40, minimum=1) * 1_000_000
IMAGE_MAX_SIDE = env.integer("IMAGE_MAX_SIDE", 2048, minimum=256)
# Photos are stored here, outside MEDIA_ROOT, and only views that check access serve them.
_private = env.string("PRIVATE_MEDIA_ROOT", "")
PRIVATE_MEDIA_ROOT = BASE_DIR / _private if _private else VAR_DIR / "private"
STORAGES["private"] = {"BACKEND": "core.images.PrivateStorage"}

# --- Media on S3-compatible storage (MinIO) ---------------------------------------------------
# With S3_BUCKET set, uploads go to a bucket instead of this machine's disk, so any number of
# web nodes and workers share them (README "Scaling"). Public media under "media/", private
# photos and import files under "private/" (or in a bucket of their own): the bucket allows
# anonymous reads of "media/" at most, never of "private/"; views that check access stream
# private files through Django (core/s3.py says why not presigned URLs).
S3_BUCKET = env.string("S3_BUCKET", "")
if S3_BUCKET:
    _s3 = {
        "bucket_name": S3_BUCKET,
        # Empty: AWS itself. MinIO: its address, e.g. http://minio:9000.
        "endpoint_url": env.url("S3_ENDPOINT_URL", "", ("https", "http")) or None,
        # Empty: boto3's own chain (its environment variables, an instance role).
        "access_key": env.string("S3_ACCESS_KEY_ID", "") or None,
        "secret_key": env.string("S3_SECRET_ACCESS_KEY", "") or None,
        "region_name": env.string("S3_REGION", "") or None,
        "signature_version": "s3v4",
        # MinIO serves buckets as paths (http://minio:9000/bucket/key), not as host names.
        "addressing_style": env.choice("S3_ADDRESSING_STYLE", "path", ["path", "virtual"]),
        # Names are random already; never replace a file that happens to exist.
        "file_overwrite": False,
        # The bucket's policy decides who reads what, not per-object ACLs (MinIO has none).
        "default_acl": None,
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "location": "media",
            # Public files: plain links, readable through the bucket's policy on "media/", or
            # through S3_PUBLIC_DOMAIN (a host name in front of the bucket) when given.
            "querystring_auth": False,
            "custom_domain": env.string("S3_PUBLIC_DOMAIN", "") or None,
        },
    }
    STORAGES["private"] = {
        "BACKEND": "core.s3.PrivateS3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": env.string("S3_PRIVATE_BUCKET", "") or S3_BUCKET,
            "location": "private",
        },
    }
# The site's public address, e.g. https://grid.example.gov.cn: every link in an SMS, email or
# robot message is built from it (core/links.py), and QR posters print it; `check --deploy`
# warns unless it is https. Unset in production (the compose file passes it through, empty
# when not given), pages fall back to the address they were opened at and messages carry bare
# paths, as before it existed: a local default there would print 127.0.0.1 on posters.
# `make run` sets it to its own address.
PUBLIC_BASE_URL = env.url(
    "PUBLIC_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "", ("https", "http")
).rstrip("/")

# --- Public forms (tickets app) -------------------------------------------------------------
# django-ratelimit counts in the default cache. On the embedded default that cache is per
# process, so limits are per process too: acceptable on a laptop, and why production uses Redis.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "core.ratelimit.too_many_requests"
# Redis down: a count that cannot be kept does not refuse the resident (core/ratelimit.py
# logs each such request); refusing everyone would turn an outage into lost submissions.
RATELIMIT_FAIL_OPEN = True
# The client's address as the sign-in lockout sees it too (CLIENT_IP_META_KEY, core/clientip.py).
RATELIMIT_IP_META_KEY = "core.clientip.client_ip"
# On the embedded default django-ratelimit objects to the per-process cache (E003, and W001
# for any backend but memcached and django-redis): accepted above. With Redis, W001 names
# core.cache.PausingRedisCache, which is django-redis's own cache (its incr stays atomic).
SILENCED_SYSTEM_CHECKS = (
    ["django_ratelimit.W001"] if REDIS_URL else ["django_ratelimit.E003", "django_ratelimit.W001"]
)
# A resolved request the resident does not review closes as satisfied after this many days.
TICKET_AUTO_CLOSE_DAYS = env.integer("TICKET_AUTO_CLOSE_DAYS", 7, minimum=1)
# Requests a resident may file from one address, and for one mobile number.
PUBLIC_FORM_RATE_IP = env.string("PUBLIC_FORM_RATE_IP", "10/h")
PUBLIC_FORM_RATE_PHONE = env.string("PUBLIC_FORM_RATE_PHONE", "5/d")

# --- Deadlines and notifications (tickets/sweep.py, notifications/delivery.py) --------------
# Reminders before a deadline, at these percentages of the allowed time.
try:
    REMINDER_SHARES = tuple(sorted({int(v) for v in env.listing("REMINDER_SHARES", ["50", "80"])}))
    if not all(0 < share < 100 for share in REMINDER_SHARES):
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(
        "REMINDER_SHARES is not valid: use percentages between 1 and 99, e.g. 50,80"
    ) from None
# Points: a request closed with 4–5 stars proposes points to its assignee under this rule
# ("scheme code:rule code"); with no such rule in force, no proposal is made.
POINTS_TICKET_RULE = env.string("POINTS_TICKET_RULE", "service:ticket")
# A micro-wish nobody takes up for this many days is raised with the community.
WISH_UNCLAIMED_DAYS = env.integer("WISH_UNCLAIMED_DAYS", 7, minimum=1)
# Quiet hours (local time): only urgent messages go out; the rest wait until the end.
QUIET_HOURS_START = env.integer("QUIET_HOURS_START", 22, minimum=0)
QUIET_HOURS_END = env.integer("QUIET_HOURS_END", 7, minimum=0)
# The daily digest to secretaries and community officers goes out at this local hour.
DIGEST_HOUR = env.integer("DIGEST_HOUR", 8, minimum=0)
# A delivery is tried this many times, with exponential back-off, before it is "failed".
NOTIFY_MAX_ATTEMPTS = env.integer("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_BASE_SECONDS = env.integer("NOTIFY_RETRY_BASE_SECONDS", 60, minimum=1)
# Seconds to wait for a WeCom or DingTalk robot (or an SMS provider) to answer.
NOTIFY_HTTP_TIMEOUT = env.integer("NOTIFY_HTTP_TIMEOUT", 5, minimum=1)
# Callbacks to connected systems (tickets/callbacks.py) go to public https addresses only;
# this also allows http and loopback or private addresses (a developer's machine, the tests).
CALLBACK_ALLOW_LOCAL = env.boolean("CALLBACK_ALLOW_LOCAL", DEBUG)
# Dotted path of the SMS backend (core/sms.py); the default writes each message to the log.
# The old "notifications.channels.LoggingSMSBackend" still names the same class.
SMS_BACKEND = env.string("SMS_BACKEND", "core.sms.LoggingSMSBackend")
