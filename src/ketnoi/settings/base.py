"""Settings for every environment; the environment decides through ``KETNOI_*``.

``KETNOI_ENV`` is ``development`` (default: embedded SQLite, console
messages, debug pages) or ``production`` (secrets required, HTTPS only).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_required, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(env_str("KETNOI_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("KETNOI_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

if PRODUCTION:
    SECRET_KEY = env_required(
        "KETNOI_SECRET_KEY",
        why="Production needs a long random secret (50+ characters) to sign sessions and tokens.",
    )
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("KETNOI_SECRET_KEY is too short: use 50 or more random characters.")
    ALLOWED_HOSTS = env_list("KETNOI_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        env_required("KETNOI_ALLOWED_HOSTS", why="Production must name the host names it serves.")
    DEBUG = False
else:
    # Development only: a fixed key is fine for an embedded demo on loopback.
    SECRET_KEY = env_str(
        "KETNOI_SECRET_KEY", "dev-only-insecure-key-ketnoi-0123456789-abcdefghijklmnopqrstuvwxyz"
    )
    ALLOWED_HOSTS = env_list("KETNOI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DEBUG = env_bool("KETNOI_DEBUG", True)

# Encrypts national ID numbers at rest and keys their look-up hash. Separate
# from SECRET_KEY so that rotating the session key never makes stored data
# unreadable. Old keys (comma-separated) still decrypt during a rotation.
FIELD_ENCRYPTION_KEY = (
    env_required("KETNOI_FIELD_KEY", why="Production needs a key to encrypt national ID numbers.")
    if PRODUCTION
    else env_str("KETNOI_FIELD_KEY", "dev-only-field-key-not-for-real-data")
)
FIELD_ENCRYPTION_OLD_KEYS = env_list("KETNOI_FIELD_OLD_KEYS", [])

# Signs learning certificates (Ed25519: 32 random bytes in base64, or a PEM
# key). In development it is derived from SECRET_KEY (see learning.signing).
LEARNING_SIGNING_KEY = (
    env_required("KETNOI_LEARNING_SIGNING_KEY", why="Production signs certificates with this key.")
    if PRODUCTION
    else env_str("KETNOI_LEARNING_SIGNING_KEY", "")
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "ketnoi.core",
    "ketnoi.places",
    "ketnoi.accounts",
    "ketnoi.registry",
    "ketnoi.ledger",
    "ketnoi.market",
    "ketnoi.payments",
    "ketnoi.shipping",
    "ketnoi.programmes",
    "ketnoi.learning",
    "ketnoi.mentoring",
    "ketnoi.poverty",
    "ketnoi.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise so that static files are compressed on 3G even where
    # no pre-compressed copy exists (development); skips what already is.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ketnoi.core.middleware.NfcInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ketnoi.accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "ketnoi.urls"
WSGI_APPLICATION = "ketnoi.wsgi.application"
ASGI_APPLICATION = "ketnoi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketnoi.core.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
_sqlite_path = VAR_DIR / "ketnoi.sqlite3"
DATABASE_URL = env_str("KETNOI_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    _sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_sqlite_path),
            "OPTIONS": {
                # WAL lets the web process read while the task worker writes.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, passwords, sessions ----------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["ketnoi.accounts.backends.PhoneBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Sessions live in the database so that logout (and an administrator) can end
# them on the server. Inactivity ends a session sooner than its absolute life.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env_int("KETNOI_SESSION_HOURS", 12))
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("KETNOI_SESSION_IDLE_MINUTES", 30))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lock-out after repeated failed logins, counted per account and per address.
LOGIN_LOCKOUT_WINDOW = timedelta(minutes=env_int("KETNOI_LOCKOUT_MINUTES", 15))
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("KETNOI_LOCKOUT_PER_ACCOUNT", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("KETNOI_LOCKOUT_PER_ADDRESS", 20)

API_TOKEN_LIFETIME = timedelta(days=env_int("KETNOI_API_TOKEN_DAYS", 30))

# --- Language and time ----------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "ketnoi_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("KETNOI_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Background work ------------------------------------------------------
# The database backend runs embedded (``manage.py db_worker``). To scale out,
# point this at an RQ backend on Redis (see README) without touching the tasks.
TASKS = {
    "default": {
        "BACKEND": env_str("KETNOI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Where outgoing SMS/Zalo messages go: the console adapter prints them and
# keeps them in ``var/outbox``; a provider adapter replaces it in production.
NOTIFY_ADAPTER = env_str("KETNOI_NOTIFY_ADAPTER", "ketnoi.core.notify.ConsoleSender")
NOTIFY_OUTBOX = VAR_DIR / "outbox"

# Printable PDFs (the review round's public list) need a font with every
# Vietnamese letter: DejaVu Sans from Debian's fonts-dejavu-core.
KETNOI_PDF_FONT_DIR = env_str("KETNOI_PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu")

# --- Shipping: carriers sign their tracking events with a shared secret each
# ("vnpost:<secret>,viettelpost:<secret>"); the development one is public.
CARRIER_SECRETS = env_str(
    "KETNOI_CARRIER_SECRETS", "" if PRODUCTION else "vnpost:dev-only-vnpost-webhook-secret"
)
CARRIER_ADAPTERS = {
    "vnpost": env_str("KETNOI_CARRIER_ADAPTER_VNPOST", "ketnoi.shipping.carriers.LocalCarrier"),
    "viettelpost": env_str("KETNOI_CARRIER_ADAPTER_VIETTELPOST", "ketnoi.shipping.carriers.LocalCarrier"),
}

# --- Mail: printed to the console in development; SMTP (or a provider's
# backend named in KETNOI_EMAIL_BACKEND) in production.
if PRODUCTION:
    MAILERS = {
        "default": {
            "BACKEND": env_str("KETNOI_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
            "OPTIONS": {
                "host": env_str("KETNOI_EMAIL_HOST", "localhost"),
                "port": env_int("KETNOI_EMAIL_PORT", 587),
                "username": env_str("KETNOI_EMAIL_USER"),
                "password": env_str("KETNOI_EMAIL_PASSWORD"),
                "use_tls": env_bool("KETNOI_EMAIL_TLS", True),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": env_str("KETNOI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
        }
    }
DEFAULT_FROM_EMAIL = env_str("KETNOI_FROM_EMAIL", "Kết Nối <no-reply@ketnoi.invalid>")

# --- Security headers -----------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("KETNOI_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("KETNOI_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("KETNOI_CSRF_TRUSTED_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("KETNOI_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},  # fpdf2's font subsetting logs every glyph at INFO
    },
}
