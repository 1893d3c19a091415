"""Helix Consent settings: one module, driven by environment variables.

Development is the default: SQLite and files under ``DATA_DIR``, Celery tasks run
in-process, development keys created on first use. With ``DEBUG`` off the platform
refuses to start unless the operator supplied a real secret key and master key.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
TESTING = env_bool("HELIX_TESTING", False)

DATA_DIR = env_path("DATA_DIR", BASE_DIR / "var")
VAULT_DIR = env_path("HELIX_VAULT_DIR", DATA_DIR / "vault")
EXPORT_DIR = env_path("HELIX_EXPORT_DIR", DATA_DIR / "exports")
CHECKPOINT_DIR = env_path("HELIX_CHECKPOINT_DIR", DATA_DIR / "checkpoints")
KEY_DIR = env_path("HELIX_KEY_DIR", DATA_DIR / "keys")
DEMO_DIR = env_path("HELIX_DEMO_DIR", DATA_DIR / "demo")

DEV_SECRET_KEY = "dev-insecure-helix-consent-secret-key-do-not-use-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY") or (DEV_SECRET_KEY if DEBUG else None)

# The master key wraps every subject key and data key. In production it must come from
# the operator (HELIX_MASTER_KEY or HELIX_MASTER_KEY_FILE); in development a key file
# under DATA_DIR/keys is created on first use.
HELIX_MASTER_KEY = env_str("HELIX_MASTER_KEY")
HELIX_DEV_MASTER_KEY_FILE = KEY_DIR / "dev-master-keys.json"

if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY: required when DEBUG is off")
    if SECRET_KEY == DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY: the development key (or a key under 50 characters) is refused when DEBUG is off"
        )
    if not HELIX_MASTER_KEY:
        raise ImproperlyConfigured(
            "HELIX_MASTER_KEY: required when DEBUG is off (or HELIX_MASTER_KEY_FILE); "
            "the development master key is refused"
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS: required when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "governance",
    "governance.ledger",
    "consent",
    "governance.gate",
    "genomics",
    "governance.access",
    "governance.exports",
    "governance.compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.roles.roles_context",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "helix.sqlite3"),
            # IMMEDIATE takes the write lock when a transaction starts, so guards that
            # read then write (audit sequence numbers, state machines) hold on SQLite too.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 60, minimum=0), conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types for malformed URLs
        raise ImproperlyConfigured(f"DATABASE_URL: malformed ({exc.__class__.__name__})") from None
    engine = config.get("ENGINE", "")
    if engine not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ImproperlyConfigured("DATABASE_URL: only postgres:// and sqlite:// are supported")
    if engine == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL: names no database")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: the session lives SESSION_IDLE_SECONDS after the last request.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
STATIC_ROOT = env_path("STATIC_ROOT", DATA_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: genomic files stream to disk; the API enforces its own size limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
HELIX_MAX_UPLOAD_BYTES = env_int("HELIX_MAX_UPLOAD_BYTES", 512 * 1024 * 1024, minimum=1024)
HELIX_MAX_DECOMPRESSED_BYTES = env_int("HELIX_MAX_DECOMPRESSED_BYTES", 4 * 1024 * 1024 * 1024, minimum=1024)
HELIX_MAX_LINE_BYTES = env_int("HELIX_MAX_LINE_BYTES", 1024 * 1024, minimum=1024)
HELIX_EXPORT_MAX_SUPPRESSION = env_float("HELIX_EXPORT_MAX_SUPPRESSION", 0.2)
HELIX_EXPORT_DEADLINE_SECONDS = env_int("HELIX_EXPORT_DEADLINE_SECONDS", 15 * 60, minimum=10)
HELIX_CONTROLLER = env_str("HELIX_CONTROLLER", "Helix Consent demo controller")
HELIX_ISSUER = env_str("HELIX_ISSUER", "http://127.0.0.1:8000")
# Compliance anomaly flags: one user reading this many distinct subjects within the
# window, or this many denials or failures within the window, is flagged for review.
HELIX_ANOMALY_SUBJECTS = env_int("HELIX_ANOMALY_SUBJECTS", 25, minimum=2)
HELIX_ANOMALY_SUBJECTS_WINDOW_MINUTES = env_int("HELIX_ANOMALY_SUBJECTS_WINDOW_MINUTES", 10, minimum=1)
HELIX_ANOMALY_DENIALS = env_int("HELIX_ANOMALY_DENIALS", 5, minimum=2)
HELIX_ANOMALY_DENIALS_WINDOW_MINUTES = env_int("HELIX_ANOMALY_DENIALS_WINDOW_MINUTES", 5, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.auth.tokens.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "governance.api_schema.HelixAutoSchema",
    "EXCEPTION_HANDLER": "governance.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "60/min"),
        "user": env_str("API_USER_RATE", "100000/hour" if DEBUG else "2000/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helix Consent API",
    "DESCRIPTION": "Consent, genomic vault, access governance and audit for research data.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a Redis broker when REDIS_URL is set; otherwise tasks run eagerly in-process.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL: expected a redis:// or rediss:// URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "helix")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": HELIX_EXPORT_DEADLINE_SECONDS}
CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint": {"task": "governance.audit_checkpoint", "schedule": 15 * 60},
    "audit-verify": {"task": "governance.audit_verify", "schedule": 60 * 60},
    "exports-reconcile": {"task": "governance.exports_reconcile", "schedule": 5 * 60},
    "access-grants-expire": {"task": "governance.access_grants_expire", "schedule": 15 * 60},
}

# Security headers. Production turns on HTTPS-only behaviour; development stays usable
# over plain http on localhost.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp; Django 5.2 has no built-in SECURE_CSP).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Third-party loggers that may print usernames or key material stay quiet.
        "axes": {"level": "WARNING"},
        "crypt4gh": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
