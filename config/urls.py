from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from aftersales.core import views as core_views
from config.api import api

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", core_views.home, name="home"),
    path("accounts/", include("aftersales.core.urls_accounts")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("org/", include("aftersales.org.urls")),
    path("customers/", include("aftersales.customers.urls")),
    path("parts/", include("aftersales.parts.urls")),
    path("service/", include("aftersales.service.urls")),
    path("workshop/", include("aftersales.workshop.urls")),
    path("quality/", include("aftersales.quality.urls")),
    path("pay/", include("aftersales.pay.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
