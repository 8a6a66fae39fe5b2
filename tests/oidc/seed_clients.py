"""Seed the live server's database for the OIDC tests: one level-3 citizen and two departmental clients.

Run as a script with the server's environment (see live_server.LiveServer.run_script).
"""

from __future__ import annotations

import os

import django

django.setup()

from django.utils import timezone  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

from yiwang.identity.models import ClientProfile, User  # noqa: E402

PASSWORD = "Oidc-test-password-2026"
user, _ = User.objects.get_or_create(
    username="alice",
    defaults={
        "surname": "欧阳",
        "given_name": "小明",
        "id_number": "11010519491231002X",
        "phone": "13912345678",
        "phone_verified_at": timezone.now(),
        "assurance_level": 3,
    },
)
user.set_password(PASSWORD)
user.save()
low, _ = User.objects.get_or_create(
    username="bob", defaults={"surname": "李", "given_name": "二", "assurance_level": 2}
)
low.set_password(PASSWORD)
low.save()
for client_id, scopes, level in (
    ("rp-one", "openid profile phone id_number", 2),
    ("rp-two", "openid profile", 3),
):
    application = Application.objects.filter(client_id=client_id).first() or Application(client_id=client_id)
    application.client_secret = f"{client_id}-secret"
    application.name = f"部门系统 {client_id}"
    application.client_type = Application.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    application.redirect_uris = f"http://127.0.0.1:9/{client_id}/callback"
    application.post_logout_redirect_uris = f"http://127.0.0.1:9/{client_id}/bye"
    application.save()
    ClientProfile.objects.update_or_create(
        application=application,
        defaults={
            "allowed_scopes": scopes,
            "min_assurance_level": level,
            "backchannel_logout_uri": os.environ.get(
                f"BACKCHANNEL_{client_id.replace('-', '_').upper()}", ""
            ),
        },
    )
print("seeded")
