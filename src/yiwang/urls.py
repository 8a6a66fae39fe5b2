from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from yiwang.api.api import api
from yiwang.identity.oidc.discovery import PlatformDiscoveryView

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("yiwang.identity.urls")),
    path("o/", include("yiwang.identity.oidc.urls")),
    path(".well-known/openid-configuration", PlatformDiscoveryView.as_view(), name="openid-configuration"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("licenses/", include("yiwang.licenses.urls")),
    path("exchange/", include("yiwang.exchange.urls")),
    path("quality/", include("yiwang.quality.urls")),
    path("me/", include("yiwang.quality.citizen_urls")),
    path("cases/", include("yiwang.applications.urls")),
    path("supervision/", include("yiwang.supervision.urls")),
    path("halls/", include("yiwang.halls.urls")),
    path("search-misses/", include("yiwang.search.urls")),
    path("", include("yiwang.portal.urls")),
]
