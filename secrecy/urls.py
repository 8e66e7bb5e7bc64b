from django.contrib import admin
from django.urls import include, path

# Every app is named by string: secrecy/ imports no app. The home page, sign-in and sign-out come
# from portal, which composes the apps.
urlpatterns = [
    path("", include("portal.urls")),
    path("", include("documents.urls")),
    path("", include("documents.urls_disposal")),
    path("registers/", include("registers.urls")),
    path("approvals/", include("approvals.urls")),
    path("circulation/", include("documents.urls_circulation")),
    path("reviews/", include("documents.urls_review")),
    path("meetings/", include("meetings.urls")),
    path("personnel/", include("personnel.urls")),
    path("accounts/", include("personnel.urls_accounts")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("audits.urls")),
    path("inspections/", include("oversight.urls.inspections")),
    path("incidents/", include("oversight.urls.incidents")),
    path("admin/", admin.site.urls),
]
