"""Lianxin settings: one module, every knob from an environment variable with a safe default.

The embedded default is SQLite in ./var with huey's SQLite storage, so a fresh checkout needs no
other server. Production sets DATABASE_URL (PostgreSQL) and REDIS_URL (huey on Redis).
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIANXIN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The development key is only for the embedded defaults; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "lianxin-development-key-not-for-production-use-0123456789")
# Key(s) for personal data at rest (Fernet-format keys: urlsafe base64 of 32 bytes; AES-256-GCM keys
# are derived from them, see lianxin.core.crypto). Comma-separated: the first encrypts, all decrypt,
# so keys can be rotated. The default is derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Public base URL used in QR codes and printed posters.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",
    "lianxin.core",
    "lianxin.accounts",
    "lianxin.regions",
    "lianxin.stations",
    "lianxin.deputies",
    "lianxin.units",
    "lianxin.opinions",
    "lianxin.activities",
    "lianxin.supervision",
    "lianxin.legislation",
    "lianxin.grouping",
    "lianxin.performance",
    "lianxin.campaigns",
    "lianxin.dashboard",
    "lianxin.public",
    "lianxin.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lianxin.core.middleware.RequestLogMiddleware",
]

ROOT_URLCONF = "lianxin.urls"
WSGI_APPLICATION = "lianxin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "lianxin" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lianxin.core.context_processors.lianxin",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'lianxin.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# The public submission's statement (intake INSERT and rate-limit counters) is prepared once per
# PostgreSQL connection; 0 behind a transaction pooler that does not keep prepared statements.
INTAKE_PREPARED_STATEMENT = os.environ.get("DB_PREPARED_INTAKE", "1") != "0"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked" mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "lianxin" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "lianxin" / "static"]
# Serve straight from the app and vendor folders when collectstatic has not been run (embedded mode).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "lianxin",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "4")), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "lianxin",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        # Under pytest tasks run in-process (huey's immediate mode, real task code, in-memory storage).
        "immediate": env_bool("HUEY_IMMEDIATE", "pytest" in sys.modules),
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
    }

# The cache holds rate-limit counters: shared by every process through Redis in production;
# per-process memory in the embedded default (one web process there). On PostgreSQL the public API's
# submissions count their limits in the database instead (opinions.SubmitCounter), Redis or not.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "lianxin.core.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lianxin"}}
# Behind a reverse proxy, the request header that carries the client address (e.g. HTTP_X_FORWARDED_FOR).
RATELIMIT_IP_HEADER = os.environ.get("RATELIMIT_IP_HEADER", "")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # A handler of its own (JSON, like the web process): huey's consumer then adds no plain-text one.
        "huey": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}

# Case engine (opinions).
OPINION_REQUIRE_CONTACT = env_bool("OPINION_REQUIRE_CONTACT", True)
OPINION_REOPEN_LIMIT = int(os.environ.get("OPINION_REOPEN_LIMIT", "1"))
OPINION_PHOTO_MAX_BYTES = int(os.environ.get("OPINION_PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))

# Reception days: published this many days ahead; each deputy of a site on duty at least this often a year.
RECEPTION_PUBLISH_DAYS = int(os.environ.get("RECEPTION_PUBLISH_DAYS", "3"))
RECEPTION_MIN_DUTIES_PER_YEAR = int(os.environ.get("RECEPTION_MIN_DUTIES_PER_YEAR", "2"))


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit "count/seconds" from the environment, e.g. OPINION_RATE_IP=5/600."""
    count, seconds = os.environ.get(name, default).split("/")
    return int(count), int(seconds)


# Rate limits as (count, seconds).
OPINION_RATE_IP = env_rate("OPINION_RATE_IP", "5/600")
OPINION_RATE_PHONE = env_rate("OPINION_RATE_PHONE", "3/3600")
OPINION_RATE_TRACK_IP = env_rate("OPINION_RATE_TRACK_IP", "10/600")
OPINION_RATE_TRACK_CODE = env_rate("OPINION_RATE_TRACK_CODE", "5/3600")
OPINION_RATE_METOO = env_rate("OPINION_RATE_METOO", "10/600")
# The public API (lianxin.api.opinions_public): submissions per address and per phone, look-ups per address.
OPINION_API_SUBMIT_RATE_IP = env_rate("OPINION_API_SUBMIT_RATE_IP", "10/600")
OPINION_API_SUBMIT_RATE_PHONE = env_rate("OPINION_API_SUBMIT_RATE_PHONE", "5/3600")
OPINION_API_LOOKUP_RATE_IP = env_rate("OPINION_API_LOOKUP_RATE_IP", "30/600")
BOOKING_RATE_IP = env_rate("BOOKING_RATE_IP", "5/600")
BOOKING_RATE_PHONE = env_rate("BOOKING_RATE_PHONE", "3/3600")

# Notifications to citizens: SMS through a pluggable backend (LogBackend writes the masked message to
# the log; HttpBackend posts to a real gateway), e-mail to staff through Django's mail settings.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "lianxin.core.sms.LogBackend")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_API_KEY = os.environ.get("SMS_API_KEY", "")
SMS_API_KEY_HEADER = os.environ.get("SMS_API_KEY_HEADER", "X-API-Key")
SMS_SIGN = os.environ.get("SMS_SIGN", "人大代表联络站")
SMS_TIMEOUT = int(os.environ.get("SMS_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "lianxin@localhost")

# Lists: rows per page of keyset pagination.
PAGE_SIZE = int(os.environ.get("PAGE_SIZE", "50"))

# Mixed grouping (lianxin.grouping): defaults of the run form and of `lianxin group_deputies`.
# AREA_BY_LEVEL: a seat's constituency ancestor at this region level (4 township, 3 county) bounds
# where its deputy may go; None means the constituency area itself.
GROUPING = {
    "K": 12,  # candidate sites per deputy: the k nearest allowed
    "MIN_SIZE": 3,
    "MAX_SIZE": 20,
    "DISTANCE_WEIGHT": 1.0,  # per km (home or work, whichever is nearer)
    "LEVEL_REWARD": 5.0,  # per level present at a site
    "MOVE_PENALTY": 0.5,  # per deputy moved away from its current site
    "TIME_LIMIT": 30.0,  # seconds, one thread
    "MIN_LEVELS": 1,  # levels every site must mix (a hard rule above 1; LEVEL_REWARD favours mixing anyway)
    "AREA_BY_LEVEL": {"township": 4, "county": 3, "municipal": None, "provincial": None, "national": None},
}

# Dashboards: the sites' effectiveness index (lianxin.dashboard.effectiveness). Each component's value over
# the period is normalised to 0..1 against its target (value / target, at most 1; for repeat complaints,
# 1 - share / target, at least 0: the target is the share tolerated before the component scores 0); the
# index is the weighted mean of the components that have data in the period (weights in percent, summing
# to 100; a component without data — e.g. no reception day due — is left out and the others' weights scaled
# up) times 100. Sites without any activity, reception day or opinion in the period have no index (quiet).
EFFECTIVENESS = {
    "WEIGHTS": {
        "activities": 15,  # activities held per month
        "reception": 15,  # reception days held / reception days due
        "attendance": 15,  # deputies attended / deputies expected at held activities
        "opinions": 10,  # citizens' opinions received per reception day held
        "on_time": 15,  # opinions replied on time / opinions replied
        "resolved": 15,  # opinions closed as resolved / opinions closed
        "satisfaction": 10,  # rated satisfied or basically satisfied / rated
        "repeats": 5,  # opinions reopened after an unsatisfied rating / opinions (negative)
    },
    "TARGETS": {
        "activities": 4.0,
        "reception": 1.0,
        "attendance": 0.9,
        "opinions": 3.0,
        "on_time": 0.95,
        "resolved": 0.8,
        "satisfaction": 0.9,
        "repeats": 0.1,
    },
}
