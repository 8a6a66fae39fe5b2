"""Every setting of the platform, each with a safe default read from the environment.

Embedded default: SQLite, local-memory cache, tasks run in-process.
Production: ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` and ``YIWANG_TASKS=database``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent  # src/yiwang
BASE_DIR = SRC_DIR.parent.parent  # the checkout
VAR_DIR = Path(os.environ.get("YIWANG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("YIWANG_DEBUG", False)
# A fixed development key is only acceptable while DEBUG is on; production.py refuses it.
SECRET_KEY = os.environ.get("YIWANG_SECRET_KEY", "insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("YIWANG_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("YIWANG_CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("YIWANG_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "yiwang.identity.admin_site.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from our static files (no CDN, within the CSP)
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "oauth2_provider",
    "axes",
    "yiwang.core",
    "yiwang.regions",
    "yiwang.audit",
    "yiwang.notifications",
    "yiwang.registers",
    "yiwang.exchange",
    "yiwang.quality",
    "yiwang.identity",
    "yiwang.catalog",
    "yiwang.search",
    "yiwang.api",
    "yiwang.portal",
    "yiwang.licenses",
    "yiwang.halls",
    "yiwang.applications",
    "yiwang.supervision",
    "yiwang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # django-csp and Django's messages, cheaper per request (yiwang.core.middleware says how).
    "yiwang.core.middleware.CachedPolicyCSPMiddleware",
    "yiwang.core.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Binds the channel, request id and address every audit entry of this request records.
    "yiwang.audit.middleware.AuditContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiwang.portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yiwang.core.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # django-axes must be last: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.portal.context.portal_context",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}"),
        conn_max_age=int(os.environ.get("YIWANG_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web workers read while the indexer or a task writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
_on_postgres = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if _on_postgres and os.environ.get("YIWANG_DB_PREPARED", "1") != "0":
    # Parameters bound by the server, and statements run five times prepared once per connection:
    # PostgreSQL then skips parsing and planning them (ADR 0014). YIWANG_DB_PREPARED=0 turns both off,
    # for a pooler in transaction mode that cannot keep a connection's prepared statements.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "yiwang",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Background work: the Django Tasks API. "immediate" runs in-process (embedded default);
# "database" queues to the database and `manage.py db_worker` processes on every node claim work.
TASK_BACKEND = os.environ.get("YIWANG_TASKS", "immediate")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }[TASK_BACKEND]
    }
}

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "identity:account"

# Login throttling for everyone (django-axes): lock a username+IP pair after repeated failures.
AXES_ENABLED = env_bool("YIWANG_AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("YIWANG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("YIWANG_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "identity/locked_out.html"
AXES_HANDLER = os.environ.get("YIWANG_AXES_HANDLER", "axes.handlers.database.AxesDatabaseHandler")
# And per address and per password within the same cool-off (yiwang.identity.login_throttle): one password
# sprayed over many usernames is stopped. The address limit is higher: offices share one NAT address.
IDENTITY_LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("YIWANG_LOGIN_IP_FAILURE_LIMIT", "30"))
IDENTITY_LOGIN_PASSWORD_FAILURE_LIMIT = int(os.environ.get("YIWANG_LOGIN_PASSWORD_FAILURE_LIMIT", "10"))

# Identity: one-time codes and face-verification backends (registries in yiwang.identity). Codes are sent
# through notifications' SMS backend (NOTIFICATIONS_SMS_BACKEND below; IDENTITY_SMS_BACKEND, if an
# installation still sets it, is read when that is empty).
IDENTITY_PHONE_CODE_SECONDS = int(os.environ.get("YIWANG_PHONE_CODE_SECONDS", "300"))
IDENTITY_PHONE_CODE_RESEND_SECONDS = int(os.environ.get("YIWANG_PHONE_CODE_RESEND_SECONDS", "60"))
# Empty: level 4 is unavailable. "test" is a deterministic stand-in, refused with DEBUG off unless allowed.
IDENTITY_FACE_PROVIDER = os.environ.get("YIWANG_FACE_PROVIDER", "")
IDENTITY_ALLOW_TEST_FACE_PROVIDER = env_bool("YIWANG_ALLOW_TEST_FACE_PROVIDER", False)
# Self-service terminals (docs/terminal.md): "id:key" pairs; a kiosk browser enrols once with its key.
TERMINAL_KEYS = dict(
    pair.strip().split(":", 1)
    for pair in os.environ.get("YIWANG_TERMINAL_KEYS", "").split(",")
    if ":" in pair
)
TERMINAL_IDLE_SECONDS = int(os.environ.get("YIWANG_TERMINAL_IDLE_SECONDS", "90"))
TERMINAL_SESSION_SECONDS = int(os.environ.get("YIWANG_TERMINAL_SESSION_SECONDS", "900"))
# Empty: no card reader, QR login only. "simulated" (typed number) is refused with DEBUG off unless allowed.
IDENTITY_TERMINAL_CARD_READER = os.environ.get("YIWANG_TERMINAL_CARD_READER", "")
IDENTITY_ALLOW_TEST_TERMINAL_READER = env_bool("YIWANG_ALLOW_TEST_TERMINAL_READER", False)
# Key for pairwise OIDC subject identifiers; changing it changes every `sub` every client has seen.
IDENTITY_PAIRWISE_SECRET = os.environ.get("YIWANG_PAIRWISE_SECRET", SECRET_KEY)
OTP_TOTP_ISSUER = "一网通办"

# Single sign-on: the platform is an OpenID Connect provider (django-oauth-toolkit), RFC 9700 settings.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # named so our models can reference it
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": SITE_URL,
    "OIDC_RSA_PRIVATE_KEY": "",  # filled below from the environment or the development key file
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["pairwise"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OAUTH2_VALIDATOR_CLASS": "yiwang.identity.oidc.validator.YiwangOIDCValidator",
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": env_list("YIWANG_OIDC_REDIRECT_SCHEMES", "https,http"),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 8 * 3600,
    "REQUEST_APPROVAL_PROMPT": "auto",
    # Claim scopes (what the id_token and userinfo release) and API scopes (what /api/v1 a bearer token
    # may call, each endpoint naming its own); `openid` alone opens nothing but userinfo.
    "SCOPES": {
        "openid": _("身份标识（不同系统得到不同的标识）与实名等级"),
        "profile": _("姓名与账户概况"),
        "phone": _("手机号码"),
        "id_number": _("公民身份号码"),
        "mandates:read": _("查看委托代办"),
        "mandates:write": _("授权或撤销委托代办"),
        "licenses:read": _("查看电子证照与用证记录"),
        "licenses:write": _("亮证、授权用证与签发证照"),
        "data-uses:read": _("查看我的数据使用记录"),
        "staff:read": _("查看工作人员通讯录"),
        "registers:read": _("按用途与依据查询基础库（工作人员）"),
        "data-uses:write": _("举报可疑的数据使用、标记提醒已读"),
        "exchange": _("部门业务系统调用数据共享交换接口（客户端凭证）"),
        "objections": _("查看与提出我的数据异议"),
        "applications:read": _("查看我的办件、申请表单与预填信息"),
        "applications:write": _("提交申请、上传材料、补正与撤回"),
        "workbench:read": _("查看办件待办队列（工作人员）"),
        "workbench:write": _("受理、补正告知、特别程序、审查与决定办件（工作人员）"),
        "feedback:read": _("查看我的评价、投诉、咨询与建议"),
        "feedback:write": _("评价办件、提交投诉咨询建议"),
        "messages:read": _("查看我的消息（办件进度、证照变动、数据使用提醒）"),
        "messages:write": _("将我的消息标为已读"),
        "appointments:read": _("查看我的大厅预约与排队号"),
        "appointments:write": _("预约、改约、取消大厅窗口时段与取号"),
        "supervision:read": _("查看黄红牌、整改工单、投诉与统计（工作人员）"),
        "supervision:write": _("签收黄红牌、整改、回访、申诉与答复投诉（工作人员）"),
    },
    "DEFAULT_SCOPES": ["openid"],
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_AGE = int(os.environ.get("YIWANG_SESSION_SECONDS", str(2 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from our own static files (htmx, the
# portal's script and any chart library are served from /static/; no template has inline script or style).
# No form-action: the OIDC consent form must be able to redirect to a departmental system.
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
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page of the platform uses (the face check runs at the provider, not in our pages).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb",
    )
}

# Applications: the payment provider fees are collected through (applications.payments; "sandbox" takes no
# real money and says so on every page it touches).
APPLICATIONS_PAYMENT_PROVIDER = os.environ.get("YIWANG_PAYMENT_PROVIDER", "sandbox")
# Applications: an uploaded material's size limit (PDF, PNG or JPEG, judged by its bytes), how long an
# upload stays reusable in the holder's vault (材料库), and how long the consent a submission records for
# the licenses it relies on (免证办) lasts (at most licenses.CONSENT_MAX_DAYS).
APPLICATIONS_UPLOAD_MAX_BYTES = int(os.environ.get("YIWANG_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
APPLICATIONS_VAULT_VALID_DAYS = int(os.environ.get("YIWANG_VAULT_VALID_DAYS", "365"))
APPLICATIONS_CONSENT_DAYS = int(os.environ.get("YIWANG_APPLICATION_CONSENT_DAYS", "90"))

# Search: the tantivy index is derived from the database; every process reads it.
SEARCH_BACKEND = os.environ.get("YIWANG_SEARCH_BACKEND", "tantivy")
SEARCH_INDEX_DIR = Path(os.environ.get("YIWANG_SEARCH_INDEX_DIR", VAR_DIR / "search-index"))
SEARCH_MAX_QUERY_LENGTH = 200

# The region whose implementations the portal shows first when the visitor has chosen none.
DEFAULT_REGION_CODE = os.environ.get("YIWANG_DEFAULT_REGION", "511602000000")

from yiwang.identity.oidc.keys import load_oidc_private_key  # noqa: E402  (needs VAR_DIR above)

OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = load_oidc_private_key(var_dir=VAR_DIR)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("YIWANG_LOG_LEVEL", "INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

ADMIN_SITE_HEADER = _("一网通办 管理后台")

# E-licenses: SM2 keys sealed at rest with SM4 under a key-encryption key (32 hex characters) from the
# environment; without it, development generates var/keys/license-kek.hex once (production disallows that
# by setting YIWANG_LICENSE_KEK_FILE_ALLOWED=0).
LICENSE_SIGNING_BACKEND = os.environ.get("YIWANG_LICENSE_SIGNING_BACKEND", "database")
LICENSE_KEK = os.environ.get("YIWANG_LICENSE_KEK", "")
LICENSE_KEK_FILE = Path(os.environ.get("YIWANG_LICENSE_KEK_FILE", VAR_DIR / "keys" / "license-kek.hex"))
LICENSE_KEK_FILE_ALLOWED = env_bool("YIWANG_LICENSE_KEK_FILE_ALLOWED", True)

# --- Audit log ---------------------------------------------------------------------------------------
# The key of the keyed SM3 hash that stands for a data subject's ID number or credit code in the log.
# Changing it makes older entries unfindable by subject: set it once per installation and keep it.
AUDIT_SUBJECT_KEY = os.environ.get("YIWANG_AUDIT_SUBJECT_KEY", SECRET_KEY)
# Seconds between two runs of the sealer (numbers new entries, extends the Merkle tree, signs a tree head).
AUDIT_SEAL_INTERVAL = float(os.environ.get("YIWANG_AUDIT_SEAL_INTERVAL", "5"))

# --- Notifications: the outbox and webhooks (docs/notifications.md) ----------------------------------
# Seconds between two runs of the deliverer (the deliver_webhooks loop or self-rescheduling task).
NOTIFICATIONS_DELIVERY_INTERVAL = float(os.environ.get("YIWANG_WEBHOOK_INTERVAL", "5"))
# Tries before a delivery is dead-lettered (and the endpoint's administrators are alerted), and the
# backoff between tries: base · 2^(n-1) seconds, at most the cap, with jitter in [half, full].
NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("YIWANG_WEBHOOK_MAX_ATTEMPTS", "10"))
NOTIFICATIONS_WEBHOOK_BACKOFF_BASE = float(os.environ.get("YIWANG_WEBHOOK_BACKOFF_BASE", "30"))
NOTIFICATIONS_WEBHOOK_BACKOFF_CAP = float(os.environ.get("YIWANG_WEBHOOK_BACKOFF_CAP", "3600"))
NOTIFICATIONS_WEBHOOK_TIMEOUT = float(os.environ.get("YIWANG_WEBHOOK_TIMEOUT", "10"))
# A claimed delivery is claimed again after this many seconds if its worker died mid-POST.
NOTIFICATIONS_WEBHOOK_LEASE = float(os.environ.get("YIWANG_WEBHOOK_LEASE", "60"))
NOTIFICATIONS_WEBHOOK_TRANSPORT = os.environ.get("YIWANG_WEBHOOK_TRANSPORT", "http")
# Webhooks never go to private, link-local or reserved addresses (SSRF); loopback only when allowed
# (tests and the demo, whose receivers run on 127.0.0.1).
NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = env_bool("YIWANG_WEBHOOK_ALLOW_LOOPBACK", DEBUG)

# --- Notifications: messages to people (docs/notifications-people.md) ---------------------------------
# SMS provider (notifications.sms): "console" prints to the log, "file" appends JSON lines to
# NOTIFICATIONS_SMS_FILE, "null" drops; a real gateway registers its own id.
NOTIFICATIONS_SMS_BACKEND = os.environ.get("YIWANG_SMS_BACKEND", "console")
NOTIFICATIONS_SMS_FILE = os.environ.get("YIWANG_SMS_FILE", str(VAR_DIR / "sms-outbox.jsonl"))
IDENTITY_SMS_FILE = NOTIFICATIONS_SMS_FILE  # the older name, for code that still reads it
# Email through Django's backends: the console in development, SMTP (EMAIL_HOST, …) in production.
EMAIL_BACKEND = os.environ.get("YIWANG_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("YIWANG_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("YIWANG_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("YIWANG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("YIWANG_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("YIWANG_EMAIL_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("YIWANG_EMAIL_FROM", "一网通办 <noreply@yiwang.example.gov.cn>")
# Tries of an SMS or email before it is given up (dead), the backoff between them (base · 2^(n-1) seconds,
# at most the cap, jittered), the claim's lease and the longest a provider may take to answer.
NOTIFICATIONS_MESSAGE_MAX_ATTEMPTS = int(os.environ.get("YIWANG_MESSAGE_MAX_ATTEMPTS", "5"))
NOTIFICATIONS_MESSAGE_BACKOFF_BASE = float(os.environ.get("YIWANG_MESSAGE_BACKOFF_BASE", "60"))
NOTIFICATIONS_MESSAGE_BACKOFF_CAP = float(os.environ.get("YIWANG_MESSAGE_BACKOFF_CAP", "3600"))
NOTIFICATIONS_MESSAGE_LEASE = float(os.environ.get("YIWANG_MESSAGE_LEASE", "60"))
NOTIFICATIONS_MESSAGE_SEND_TIMEOUT = float(os.environ.get("YIWANG_MESSAGE_SEND_TIMEOUT", "10"))
# The local hour from which the day's digest emails are collected and sent (one per person and day).
NOTIFICATIONS_DIGEST_HOUR = int(os.environ.get("YIWANG_DIGEST_HOUR", "8"))

# --- Guide renderings (catalog.guide_cache, ADR 0012) ---
# Rendered guides (API JSON, the page's catalog sections) are kept per implementation and version: in a
# small LRU in each process, and in the named Django cache shared by every node ("" when it would only be
# another copy in the same process: local memory without Redis). The key changes with the data, so the
# timeout only bounds how long old versions stay around.
CATALOG_GUIDE_SHARED_CACHE = os.environ.get("YIWANG_GUIDE_SHARED_CACHE", "default" if REDIS_URL else "")
CATALOG_GUIDE_CACHE_SECONDS = int(os.environ.get("YIWANG_GUIDE_CACHE_SECONDS", "86400"))
CATALOG_GUIDE_RENDERINGS_PER_PROCESS = int(os.environ.get("YIWANG_GUIDE_RENDERINGS_PER_PROCESS", "256"))
