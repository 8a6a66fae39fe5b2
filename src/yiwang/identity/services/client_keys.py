"""Departmental systems' public keys for private_key_jwt (RFC 7523): register, revoke, switch the method."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.services import record_event
from yiwang.core.errors import InvalidInput

from ..constants import AuditAction, TokenAuthMethod
from ..models import ClientKey, ClientProfile, User
from ..oidc.jose import JoseError, parse_public_key

MAX_KID_LENGTH = 100


@transaction.atomic
def register_client_key(
    *, application: Application, public_key: str, kid: str = "", registered_by: User | None
) -> ClientKey:
    """Register a public key (JWK or PEM; ES256 or RS256) for a system; ``kid`` defaults to the thumbprint."""
    try:
        parsed = parse_public_key(public_key)
    except JoseError as error:
        raise InvalidInput(f"公钥无法使用：{error}", code="invalid_client_key") from error
    kid = (kid or "").strip() or parsed.thumbprint
    if len(kid) > MAX_KID_LENGTH or not kid.isprintable():
        raise InvalidInput("密钥标识（kid）过长或含不可见字符", code="invalid_kid")
    keys = ClientKey.objects.select_for_update().filter(application=application)
    if keys.filter(kid=kid).exists():
        raise InvalidInput("该业务系统已有同一密钥标识（kid）的公钥", code="duplicate_kid")
    if keys.filter(thumbprint=parsed.thumbprint, revoked_at__isnull=True).exists():
        raise InvalidInput("该公钥已登记", code="duplicate_client_key")
    key = ClientKey.objects.create(
        application=application,
        kid=kid,
        algorithm=parsed.algorithm,
        public_jwk={**parsed.jwk, "kid": kid, "alg": parsed.algorithm, "use": "sig"},
        thumbprint=parsed.thumbprint,
        registered_by=registered_by,
    )
    record_event(
        action=AuditAction.CLIENT_KEY_REGISTERED,
        actor=registered_by,
        target=key,
        department=_department_of(application),
        system=application.client_id,
        details={"kid": kid, "alg": parsed.algorithm, "thumbprint": parsed.thumbprint},
    )
    return key


@transaction.atomic
def revoke_client_key(*, key: ClientKey, revoked_by: User | None) -> ClientKey:
    """Stop accepting assertions signed with this key (idempotent); the row stays for the record."""
    key = ClientKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record_event(
            action=AuditAction.CLIENT_KEY_REVOKED,
            actor=revoked_by,
            target=key,
            department=_department_of(key.application),
            system=key.application.client_id,
            details={"kid": key.kid},
        )
    return key


@transaction.atomic
def set_token_auth_method(*, application: Application, method: str, changed_by: User | None) -> ClientProfile:
    """Choose how the system authenticates at the token endpoint; private_key_jwt needs an active key."""
    if method not in TokenAuthMethod.values:
        raise InvalidInput("未知的令牌端点认证方式", code="unknown_auth_method")
    profile, _ = ClientProfile.objects.select_for_update().get_or_create(application=application)
    if profile.token_endpoint_auth_method != method:
        if method == TokenAuthMethod.PRIVATE_KEY_JWT and not _has_active_key(application):
            raise InvalidInput("须先登记至少一个公钥，才能改用私钥签名断言认证", code="no_client_key")
        previous = profile.token_endpoint_auth_method
        profile.token_endpoint_auth_method = method
        profile.save(update_fields=["token_endpoint_auth_method"])
        record_event(
            action=AuditAction.CLIENT_AUTH_METHOD_CHANGED,
            actor=changed_by,
            target=profile,
            department=profile.department,
            system=application.client_id,
            details={"from": previous, "to": method},
        )
    return profile


def _has_active_key(application: Application) -> bool:
    return ClientKey.objects.filter(application=application, revoked_at__isnull=True).exists()


def _department_of(application: Application):
    profile = ClientProfile.objects.filter(application=application).select_related("department").first()
    return profile.department if profile is not None else None
