"""The platform's own SM2 keys (audit tree heads, exchange answers, webhook bodies): one shape, one lookup.

Each use keeps its own table (a key signs for one purpose only), built on ``PlatformKey``; the private
half stays in the signing backend that made it.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import public_key_fingerprint

from .registry import default_backend


class PlatformKey(models.Model):
    key_id = models.CharField(_("密钥标识"), max_length=64, unique=True)
    public_key = models.CharField(_("公钥"), max_length=200)
    backend = models.CharField(_("签名后端"), max_length=40)
    sealed_private_key = models.BinaryField(null=True, blank=True, editable=False)
    handle = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.key_id


K = TypeVar("K", bound=PlatformKey)


def active_platform_key(model: type[K], *, label: str) -> K:
    """The newest active key of ``model``; created in the configured signing backend on first use."""
    key = model._default_manager.filter(is_active=True).order_by("-id").first()
    if key is not None:
        return key
    backend = default_backend()
    new_key = backend.create_key(label=label)
    return model._default_manager.create(
        key_id=public_key_fingerprint(new_key.public_key),
        public_key=new_key.public_key.hex(),
        backend=backend.id,
        sealed_private_key=new_key.sealed_private_key,
        handle=new_key.handle,
    )
