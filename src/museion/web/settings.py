"""Django settings, from the environment with embedded defaults.

With nothing set, Museion runs on SQLite under MUSEION_HOME with an SQLite
Celery broker, so one `museion serve` runs everything. Every variable is
described in the README; a malformed one stops start-up with a message.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import dj_database_url

from museion.config import (
    ConfigError,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    settings,
    signup_mode,
)

HOME: Path = settings().home
HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """MUSEION_SECRET_KEY, or a key generated on first start and kept in MUSEION_HOME."""
    given = env_str("MUSEION_SECRET_KEY", "")
    if given:
        return given
    path = HOME / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("MUSEION_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])


def _public_url() -> str:
    """MUSEION_PUBLIC_URL: where phones reach this server (`https://museum.example.org`); the visitors'
    links, QR codes and wall cards use it. Empty: the address the curator's browser used."""
    url = env_str("MUSEION_PUBLIC_URL", "").rstrip("/")
    if url and not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", url):
        raise ConfigError(f"MUSEION_PUBLIC_URL must look like https://museum.example.org, got {url!r}")
    return url


PUBLIC_URL = _public_url()

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from here, not from a CDN
    "museion.web",
    "museion.accounts",
    "museion.recognition",
    "museion.albums",
]

MIDDLEWARE = [
    "museion.web.overload.ShedLoadMiddleware",  # first: a refused request costs nothing more
    # Early, so that every refusal after it (the API guard's too) is in the caller's language: the
    # language switch's cookie, else Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "museion.web.middleware.ApiGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "museion.web.urls"
WSGI_APPLICATION = "museion.web.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "museion.web.context.site",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL", f"sqlite:///{HOME / 'museion.sqlite3'}")
    try:
        # Connections kept this long between requests; 0 behind a pooler such as PgBouncer.
        max_age = env_int("MUSEION_DB_CONN_MAX_AGE", 60, minimum=0)
        db = dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=True)
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL Museion knows: {exc}") from None
    if db["ENGINE"] == "django.db.backends.mysql":
        try:
            import pymysql  # the `mysql` extra: pure Python, no client library to compile
        except ImportError:
            raise ConfigError(
                "DATABASE_URL names MySQL: install it with pip install 'museion[mysql]'"
            ) from None
        pymysql.install_as_MySQLdb()
        db["OPTIONS"] = {"charset": "utf8mb4"}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["CONN_MAX_AGE"] = 0
        # WAL lets readers work while a writer writes; IMMEDIATE avoids
        # "database is locked" on lock upgrades under concurrent requests.
        db["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SIGNUP = signup_mode()  # MUSEION_SIGNUP: open, closed or invite
LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "predict"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
# The interface's languages (catalogs in src/museion/locale; a new one: `make language LANG=xx`).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("fr", "Français"), ("de", "Deutsch")]
LOCALE_PATHS = [Path(__file__).resolve().parent.parent / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing one
MEDIA_URL = "/media/"
MEDIA_ROOT = HOME / "media"


def _media_storage() -> dict:
    """Uploads, photos and model bundles: MEDIA_ROOT, or an S3-compatible bucket (MUSEION_S3_*)."""
    bucket = env_str("MUSEION_S3_BUCKET", "")
    if not bucket:
        return {"BACKEND": "museion.http.storage.AtomicFileSystemStorage"}
    try:
        import storages  # noqa: F401 - the `s3` extra
    except ImportError:
        raise ConfigError("MUSEION_S3_BUCKET is set: pip install 'museion[s3]' for S3 support") from None
    # Credentials come the usual AWS ways (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role).
    options = {
        "bucket_name": bucket,
        "endpoint_url": env_str("MUSEION_S3_ENDPOINT_URL", "") or None,  # MinIO, Ceph, R2, ...
        "region_name": env_str("MUSEION_S3_REGION", "") or None,
        "location": env_str("MUSEION_S3_PREFIX", ""),
        "file_overwrite": False,  # a name already taken gets a new one, as on disk
        "default_acl": None,  # private: every file is served through Museion's permission checks
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": _media_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders when collectstatic was not run.
WHITENOISE_USE_FINDERS = True


def _isolated_runtime(headers: dict, path: str, url: str) -> None:
    """onnxruntime-web's threads are workers running its .mjs: a cross-origin isolated page (the
    visitors') starts them only when that script says COEP itself; without it the runtime hangs."""
    if url.startswith(STATIC_URL + "museion/ort/"):
        headers["Cross-Origin-Embedder-Policy"] = "require-corp"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"


WHITENOISE_ADD_HEADERS_FUNCTION = _isolated_runtime

MAX_UPLOAD_BYTES = int(env_float("MUSEION_MAX_UPLOAD_MB", 20.0, minimum=0.01) * 1_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000  # non-file form fields and JSON bodies
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1
CORS_ORIGINS = env_list("MUSEION_CORS_ORIGINS", [])
RATE_LIMIT_USER = env_rate("MUSEION_RATE_LIMIT_USER", "600/minute")
# Generous: a museum's visitors often share one public IP behind its Wi-Fi.
RATE_LIMIT_IP = env_rate("MUSEION_RATE_LIMIT_IP", "6000/minute")
RATE_LIMIT_SIGNIN = env_rate("MUSEION_RATE_LIMIT_SIGNIN", "10/minute")
HISTORY_PAGE_SIZE = 20
# Defaults for every workspace (each may set its own); 0: no limit, kept for ever.
WORKSPACE_QUOTA_MB = env_int("MUSEION_WORKSPACE_QUOTA_MB", 0, minimum=0)
RETENTION_DAYS = env_int("MUSEION_RETENTION_DAYS", 0, minimum=0)
# Visitors' photos an album keeps for review (albums.review), at most this many per album and day.
REVIEW_PER_DAY = env_int("MUSEION_REVIEW_PER_DAY", 200, minimum=0)

# Heavy work in flight (albums.heavy): zip imports at once, video jobs queued or running; 0: no limit.
MAX_ZIPS_PER_USER = env_int("MUSEION_MAX_ZIPS_PER_USER", 1, minimum=0)
MAX_ZIPS_PER_WORKSPACE = env_int("MUSEION_MAX_ZIPS_PER_WORKSPACE", 2, minimum=0)
MAX_VIDEO_JOBS_PER_USER = env_int("MUSEION_MAX_VIDEO_JOBS_PER_USER", 4, minimum=0)
MAX_VIDEO_JOBS_PER_WORKSPACE = env_int("MUSEION_MAX_VIDEO_JOBS_PER_WORKSPACE", 8, minimum=0)

# Mail (workspace invitations): printed on the server's console unless an SMTP server is named.
INVITATION_DAYS = env_int("MUSEION_INVITATION_DAYS", 7)
DEFAULT_FROM_EMAIL = env_str("MUSEION_EMAIL_FROM", "museion@localhost")
EMAIL_HOST = env_str("MUSEION_SMTP_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("MUSEION_SMTP_PORT", 587)
EMAIL_HOST_USER = env_str("MUSEION_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("MUSEION_SMTP_PASSWORD", "")
EMAIL_USE_SSL = env_bool("MUSEION_SMTP_SSL", False)  # TLS from the start (port 465)
EMAIL_USE_TLS = env_bool("MUSEION_SMTP_STARTTLS", not EMAIL_USE_SSL)  # STARTTLS (port 587)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ConfigError("MUSEION_SMTP_SSL and MUSEION_SMTP_STARTTLS cannot both be on")
EMAIL_TIMEOUT = 10  # a stuck mail server must not hold a request thread

# Addresses of reverse proxies (nginx) whose X-Forwarded-For names the real client.
TRUSTED_PROXIES = set(env_list("MUSEION_TRUSTED_PROXIES", []))


def _cache() -> dict:
    """Per process by default; shared by every web node (rate limits) with a redis:// URL."""
    url = env_str("MUSEION_CACHE_URL", "")
    if not url:
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "museion",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"MUSEION_CACHE_URL must be a redis:// URL, got {url!r}")
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "museion",
    }


CACHES = {"default": _cache()}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"sqla+sqlite:///{HOME / 'broker.sqlite3'}")
CELERY_TASK_DEFAULT_QUEUE = "default"  # workers consume default, train and video
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
EMBEDDED_WORKER = env_bool("MUSEION_EMBEDDED_WORKER", True)
# A running job's worker writes a heartbeat every sixth of this; a job silent this long is failed.
JOB_STALE_SECONDS = env_int("MUSEION_JOB_STALE_SECONDS", 120, minimum=3)
# Request threads of `museion serve`. On 2 cores, 4 keep both busy (uploads are read while others
# infer) and need ~60 MB less than 8 (each concurrent inference holds its buffers): benchmarks/serve.py.
SERVE_THREADS = env_int("MUSEION_SERVE_THREADS", 4)
# A POST that waited longer than this for a server thread is refused with 503 (0: never).
MAX_QUEUE_SECONDS = env_float("MUSEION_MAX_QUEUE_SECONDS", 2.0)

# Behind a TLS-terminating proxy (deploy/nginx): HTTPS only, secure cookies, HSTS. The proxy must
# set X-Forwarded-Proto; the health check stays reachable over plain HTTP for load balancers.
HTTPS = env_bool("MUSEION_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("MUSEION_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MUSEION_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("MUSEION_HSTS_PRELOAD", False)
# Off unless asked: only a proxy that replaces Host should be trusted to name it (deploy/nginx keeps it).
USE_X_FORWARDED_HOST = env_bool("MUSEION_USE_X_FORWARDED_HOST", False)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "museion.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("MUSEION_LOG_LEVEL", "WARNING").upper()},
}
