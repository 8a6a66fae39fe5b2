"""Messages to a license's holder (their inbox, SMS, email) through ``notifications.services.notify``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_noop

from yiwang.identity.selectors import list_users_holding
from yiwang.licenses.models import License
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.services import notify

ISSUED_TITLE = gettext_noop("电子证照“{license}”已签发")
ISSUED_BODY = gettext_noop(
    "{issuer}已签发您的电子证照“{license}”（证照标识 {identifier}），可在“我的证照”中查看和亮证。"
)
# 注销 (cancelled: replaced, e.g. by a new owner's 不动产权证书) or 吊销 (a sanction): the reason tells
REVOKED_TITLE = gettext_noop("电子证照“{license}”已注销或吊销")
REVOKED_BODY = gettext_noop(
    "{issuer}已注销或吊销您的电子证照“{license}”（证照标识 {identifier}），该证照不再有效。原因：{reason}"
)


def tell_holders(*, license: License, topic: str, title: str, body: str, reason: str = "") -> int:
    """One message to each account holding ``license`` (the person, or the enterprise's representative);
    in the caller's transaction. Returns how many were written."""
    recipients = list_users_holding(holder_code=license.holder_code)
    context = {
        "license": license.license_type.name,
        "identifier": license.identifier,
        "issuer": license.issuer.name,
        "reason": reason,
    }
    for recipient in recipients:
        notify(
            recipient=recipient,
            topic=topic,
            title=title,
            body=body,
            context=context,
            link=reverse("licenses:mine"),
            department=license.issuer,
        )
    return len(recipients)


def tell_license_issued(*, license: License) -> int:
    return tell_holders(
        license=license, topic=MessageTopic.LICENSE_ISSUED, title=ISSUED_TITLE, body=ISSUED_BODY
    )


def tell_license_revoked(*, license: License, reason: str) -> int:
    return tell_holders(
        license=license,
        topic=MessageTopic.LICENSE_REVOKED,
        title=REVOKED_TITLE,
        body=REVOKED_BODY,
        reason=reason,
    )
