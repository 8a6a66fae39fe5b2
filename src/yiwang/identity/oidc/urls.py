"""OIDC provider routes under /o/ (namespace ``oauth2_provider``): no self-service client registration."""

from django.urls import path
from oauth2_provider import views as dot

from .discovery import PlatformDiscoveryView
from .views import PlatformAuthorizationView, PlatformIntrospectTokenView, PlatformLogoutView

app_name = "oauth2_provider"
urlpatterns = [
    path("authorize/", PlatformAuthorizationView.as_view(), name="authorize"),
    path("token/", dot.TokenView.as_view(), name="token"),
    path("revoke_token/", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", PlatformIntrospectTokenView.as_view(), name="introspect"),
    path("userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path(".well-known/jwks.json", dot.JwksInfoView.as_view(), name="jwks-info"),
    path(
        ".well-known/openid-configuration",
        PlatformDiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("logout/", PlatformLogoutView.as_view(), name="rp-initiated-logout"),
]
