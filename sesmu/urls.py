from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from sesmu import views

admin.site.site_header = "SESMU back office"
admin.site.site_title = "SESMU"

urlpatterns = [
    path("", views.start, name="start"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("healthz/", views.healthz, name="healthz"),
    path("desk/", include("callcenter.urls")),
    path("desk/customers/", include("customers.urls")),
    path("desk/integrations/", include("integrations.urls")),
    path("inventory/", include("inventory.urls")),
    path("field/", include("workforce.urls")),
    path("desk/subscriptions/", include("subscriptions.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("customers.api.urls")),
    path("api/v1/", include("integrations.api.urls")),
    path("api/v1/", include("inventory.api.urls")),
    path("api/v1/", include("workforce.api.urls")),
    path("api/v1/", include("subscriptions.api.urls")),
    path("tmf-api/productOrderingManagement/v4/", include("subscriptions.api.tmf622")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler403 = "sesmu.views.forbidden"
handler404 = "sesmu.views.not_found"
