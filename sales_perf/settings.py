"""Settings for sales_perf.

Everything that differs between a laptop, CI and production comes from the environment
(see README "Configuration"). With nothing set the app runs on a SQLite file in the
project folder and Celery runs tasks in-process.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from sales_perf.environment import StrictEnv

BASE_DIR = Path(__file__).resolve().parent.parent

# django-environ, strict: a bad value raises ImproperlyConfigured naming the variable.
env = StrictEnv()

DEBUG = env.bool("DJANGO_DEBUG", True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-local-development-key-not-for-production"  # noqa: S105
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters in production")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG=0")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "csp",
    "simple_history",
    "roles",
    "appraisals",
    "rewards",
    "closing",
    "uploads",
    "notifications",
    "disputes",
    "pages",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy (django-csp), then no-store and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "sales_perf.middleware.PrivateResponseMiddleware",
    # Who changed a record through a page or the admin (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Login throttling (django-axes); it must come last.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Serves collected static files in production; runserver serves them itself while debugging.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "sales_perf.urls"

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
                "pages.context_processors.navigation",
                "pages.context_processors.currency",
            ],
        },
    },
]

WSGI_APPLICATION = "sales_perf.wsgi.application"

# Database: SQLite file by default, PostgreSQL when DATABASE_URL is set.
DATABASE_URL = env.str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / env.str("SQLITE_NAME", "db.sqlite3"),
            "OPTIONS": {
                # Concurrent closes and imports: every transaction takes the write lock when it
                # begins (no deadlocking read-to-write upgrade), waits up to 30 s for it, and
                # readers never wait for a writer (write-ahead log).
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Logins: django-axes first (it refuses a locked-out username + address before any password is
# checked), then Django's own check, which also refuses leavers (roles.backends).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "roles.backends.EmployeeLoginBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A login lasts this many hours (default: a working day). Changing or resetting a password ends
# every other session of that user (Django checks the password hash kept in each session).
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_HOURS", 8, minimum=1, maximum=720) * 60 * 60
# A password reset link works this long.
PASSWORD_RESET_TIMEOUT = env.int("DJANGO_PASSWORD_RESET_HOURS", 24, minimum=1, maximum=168) * 60 * 60

# Login throttling (django-axes): after this many wrong passwords for one username from one
# address, that pair is locked out for DJANGO_LOGIN_LOCKOUT_MINUTES (the site login and the admin
# alike). HR or an admin unlocks early in the admin ("Access attempts": delete the row).
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pages.views.accounts.locked_out"
# Behind a TLS-terminating proxy every request comes from the proxy's address; with
# DJANGO_PROXY_COUNT proxies in front, the client's address is read from X-Forwarded-For.
_PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", 0, minimum=0, maximum=5)
if _PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = _PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Mail (password reset links): EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ... from one URL, printed
# to the console by default; what the URL leaves out keeps Django's default.
globals().update(env.email_url("EMAIL_URL", "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", "sales-perf@localhost")

# Languages: English and Simplified Chinese; the browser's language picks by default.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["sales_perf.formats"]
USE_I18N = True
TIME_ZONE = env.str("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
# Vendored assets live in static/; listing it before it exists only raises staticfiles.W004,
# which fails `check --deploy --fail-level WARNING`.
STATICFILES_DIRS = [path for path in [BASE_DIR / "static"] if path.is_dir()]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files: import files waiting for their Celery job and dispute attachments. Never served
# as static files: attachments only go through a view that checks who is asking. A worker on
# another machine needs the same folder (or another storage backend).
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# A covering index (Index.include) is a PostgreSQL optimisation; SQLite indexes the key columns only.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Upload size: a metrics file of a large org is big; refuse anything absurd. The limit holds for
# the uploaded file itself (sales_perf.upload_limits stops reading it past the limit) and for the
# rest of a request's body.
SALES_PERF_UPLOAD_MAX_BYTES = env.int("DJANGO_UPLOAD_MAX_MB", 200, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = SALES_PERF_UPLOAD_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "sales_perf.upload_limits.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# An XLSX workbook is a zip: refused before parsing when its parts would unpack to more than this,
# or to more than SALES_PERF_XLSX_MAX_RATIO times the file's size (a "zip bomb").
SALES_PERF_XLSX_MAX_UNPACKED_BYTES = env.int("SALES_PERF_XLSX_MAX_UNPACKED_MB", 500, minimum=1) * 1024 * 1024
SALES_PERF_XLSX_MAX_RATIO = env.int("SALES_PERF_XLSX_MAX_RATIO", 100, minimum=10)

# Product settings.
SALES_PERF_CURRENCY = env.str("SALES_PERF_CURRENCY", "CNY")
# Where the app is reached, for the links in the mail it sends.
SALES_PERF_SITE_URL = env.str("SALES_PERF_SITE_URL", "http://127.0.0.1:8000")
# A month closes automatically this many days after it ends (0 disables automatic closes).
SALES_PERF_AUTO_CLOSE_DAYS = env.int("SALES_PERF_AUTO_CLOSE_DAYS", 5, minimum=0, maximum=60)
# Employees per close task; more workers close faster.
SALES_PERF_CLOSE_CHUNK_SIZE = env.int("SALES_PERF_CLOSE_CHUNK_SIZE", 20000, minimum=10)
# Memory PostgreSQL may use per sort or hash while a close chunk reads its inputs (SET LOCAL work_mem).
SALES_PERF_CLOSE_WORK_MEM_MB = env.int("SALES_PERF_CLOSE_WORK_MEM_MB", 64, minimum=4, maximum=4096)
# A running close renews a lease this long as it works; once it runs out (the worker died) the
# line takes the close over.
SALES_PERF_CLOSE_LEASE_SECONDS = env.int("SALES_PERF_CLOSE_LEASE_SECONDS", 60, minimum=1, maximum=3600)

# Celery: in-process (eager) without a broker, real workers with CELERY_BROKER_URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run inside the calling process; nothing is sent anywhere.
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
else:
    # Chords (a close joins each tree level's chunks) need a result backend: Redis by default.
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if not CELERY_TASK_ALWAYS_EAGER and not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must be a redis:// or rediss:// URL")

# Production hardening (DJANGO_DEBUG=0); a TLS-terminating proxy sets X-Forwarded-Proto.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp): this origin's own files only, no inline script or style
# (templates keep code in static/js and styles in static/css; data for scripts goes in json_script
# blocks). Bootstrap's CSS draws a few icons from data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features no page uses (sent by sales_perf.middleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)

# The audit trail (django-simple-history): who changed what, when. Indexes on the history tables
# are chosen per model (a metric import writes a history row per value).
SIMPLE_HISTORY_DATE_INDEX = False
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", "INFO")},
    # Task success lines would drown command output when Celery runs in-process.
    "loggers": {
        "celery.app.trace": {"level": env.str("CELERY_TRACE_LOG_LEVEL", "WARNING")},
        # django-axes logs every login at INFO; its warnings (a failed login, a lockout) stay.
        "axes": {"level": "WARNING"},
    },
}
