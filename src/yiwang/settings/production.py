"""Production: secrets, hosts and the shared cache must come from the environment; secure cookies and HSTS."""

import os
import re

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, REDIS_URL, SECRET_KEY

if DEBUG:
    raise ImproperlyConfigured("YIWANG_DEBUG must be off in production")
if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("Set YIWANG_SECRET_KEY to a random value of at least 40 characters")
if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured("Set DATABASE_URL (postgres://...) in production")
# A private_key_jwt assertion's jti is remembered in the cache to refuse its replay; the local-memory
# cache is per process, so another worker would accept the replay. Production needs the shared cache.
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Set REDIS_URL (redis://...) in production: every worker must share the cache that refuses a "
        "replayed client assertion"
    )

# Start-up checks that only matter on a real deployment (e.g. yiwang.W002: fees to the sandbox) read this.
IS_PRODUCTION = True

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = os.environ.get("YIWANG_SSL_REDIRECT", "true").lower() == "true"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# License signing keys are sealed with a key-encryption key that must come from the environment (or an
# HSM backend); the development key file is refused.
LICENSE_KEK_FILE_ALLOWED = False
_KEK_HELP = "32 hex characters, a 128-bit SM4 key: openssl rand -hex 16"
if (
    not os.environ.get("YIWANG_LICENSE_KEK")
    and os.environ.get("YIWANG_LICENSE_SIGNING_BACKEND", "database") == "database"
):
    raise ImproperlyConfigured(f"Set YIWANG_LICENSE_KEK ({_KEK_HELP}) in production")
if os.environ.get("YIWANG_LICENSE_KEK") and not re.fullmatch(
    r"[0-9a-fA-F]{32}", os.environ["YIWANG_LICENSE_KEK"].strip()
):
    raise ImproperlyConfigured(f"YIWANG_LICENSE_KEK must be {_KEK_HELP}")
