from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("documents.urls")),
    path("", include("documents.urls_disposal")),
    path("registers/", include("registers.urls")),
    path("approvals/", include("documents.urls_approvals")),
    path("circulation/", include("documents.urls_circulation")),
    path("reviews/", include("documents.urls_review")),
    path("meetings/", include("meetings.urls")),
    path("personnel/", include("personnel.urls")),
    path("accounts/", include("personnel.urls_accounts")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("audits.urls")),
    path("inspections/", include("audits.urls_inspections")),
    path("incidents/", include("audits.urls_incidents")),
    path("admin/", admin.site.urls),
]
