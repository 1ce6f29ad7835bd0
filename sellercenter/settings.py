"""Seller Center settings: one module, read from the environment.

Every variable of ``operations.md`` is read here, with defaults that serve a single machine
(SQLite under ``var/`` and an embedded Celery broker). PostgreSQL and Redis are what
production and CI run; they are chosen by ``DATABASE_URL`` and ``REDIS_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SELLERCENTER_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def secret_from_env_or_var(name: str, filename: str) -> str | None:
    """A secret from the environment, else from the file ``make run`` writes under var/."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = VAR_DIR / filename
    if path.is_file():
        return path.read_text().strip() or None
    return None


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = secret_from_env_or_var("SECRET_KEY", "secret_key")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off (make run writes one to var/secret_key)"
        )
    SECRET_KEY = "insecure-debug-only-key"

CREDENTIALS_ENCRYPTION_KEYS = [
    key.strip()
    for key in (
        secret_from_env_or_var("CREDENTIALS_ENCRYPTION_KEY", "credentials_key") or ""
    ).split(",")
    if key.strip()
]
if not CREDENTIALS_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CREDENTIALS_ENCRYPTION_KEY is required when DEBUG is off "
            "(make run writes one to var/credentials_key)"
        )
    # A fixed development key: only ever used with DEBUG on.
    CREDENTIALS_ENCRYPTION_KEYS = ["ZGVidWctb25seS1rZXktZm9yLWxvY2FsLXVzZS0wMDA="]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "orders",
    "maintenance",
    "omsapi",
]

MIDDLEWARE = [
    # First, so that even answers Django gives before the view (a bad Host header, say) are
    # JSON envelopes on the OMS API's paths.
    "omsapi.middleware.OmsApiEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sellercenter.urls"
WSGI_APPLICATION = "sellercenter.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "sellercenter.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # make run's web server, worker and demo OMS write at once: WAL lets readers go on while
    # one writes, the busy timeout makes writers wait instead of failing, and IMMEDIATE
    # transactions take the write lock up front so a read-then-write never deadlocks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
    }
    _sqlite_file = Path(DATABASES["default"]["NAME"])
    _test_file = _sqlite_file.with_name("test-" + _sqlite_file.name)
    DATABASES["default"]["TEST"] = {"NAME": str(_test_file)}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and the shared cache (throttle counters, locks) -------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip() or None
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

STATUS_DETAIL_REFRESH_SECONDS = env_int("STATUS_DETAIL_REFRESH_SECONDS", 300)
# A static schedule: a run that waited past the next one is worthless, hence ``expires``.
CELERY_BEAT_SCHEDULE = {
    "refresh-status-details": {
        "task": "maintenance.refresh_all_status_details",
        "schedule": float(STATUS_DETAIL_REFRESH_SECONDS),
        "options": {"expires": max(1.0, STATUS_DETAIL_REFRESH_SECONDS * 0.9)},
    },
    "prune-request-log": {
        "task": "maintenance.prune_request_log",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
}

# --- Time ------------------------------------------------------------------------------------
USE_TZ = True
TIME_ZONE = os.environ.get("VENTURE_TIME_ZONE", "").strip() or "UTC"
VENTURE_TIME_ZONE = TIME_ZONE
USE_I18N = True
LANGUAGE_CODE = "en-us"

# --- Static files: served by the application itself (whitenoise) -----------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
try:  # whitenoise warns on every request while the folder is missing
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Login -----------------------------------------------------------------------------------
# How long the orders list keeps its status tab counts (0: count on every page view).
SELLER_TAB_COUNTS_CACHE_SECONDS = env_int("SELLER_TAB_COUNTS_CACHE_SECONDS", 60, minimum=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:list"
LOGOUT_REDIRECT_URL = "login"

# --- The OMS push API ------------------------------------------------------------------------
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
STAGING_BASIC_AUTH = os.environ.get("STAGING_BASIC_AUTH", "").strip() or None
if STAGING_BASIC_AUTH and ":" not in STAGING_BASIC_AUTH:
    raise ImproperlyConfigured("STAGING_BASIC_AUTH must be user:password")
OMS_API_MAX_BODY_BYTES = env_int("OMS_API_MAX_BODY_BYTES", 8 * 1024 * 1024)
OMS_API_THROTTLE = os.environ.get("OMS_API_THROTTLE", "").strip() or "600/min"
OMS_API_MAX_ITEMS = 4000
# The API reads its body itself, after checking its size; Django's own limit must not be lower.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(OMS_API_MAX_BODY_BYTES, 2_621_440) + 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}

# --- Logging: never a secret -------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
