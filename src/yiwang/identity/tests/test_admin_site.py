import pytest

pytestmark = pytest.mark.django_db


def test_admin_without_second_factor_goes_to_the_platform_login(client, admin_user):
    # given a superuser who logged in with a password only
    client.force_login(admin_user)
    # when they open the admin
    response = client.get("/admin/catalog/implementation/", follow=True)
    # then they end on the platform login, which asks staff for their TOTP code, and come back after
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert "/admin/catalog/implementation/" in response.redirect_chain[-1][0]


def test_admin_with_second_factor_is_allowed(admin_client):
    assert admin_client.get("/admin/").status_code == 200
