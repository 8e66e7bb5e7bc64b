"""泄密/丢失事件 pages, mounted at incidents/ by secrecy/urls.py."""
from django.urls import path

from ..views import incidents as views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_report, name="report"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/upward-report/", views.incident_upward_report, name="upward_report"),
    path("<int:pk>/close/", views.incident_close, name="close"),
]
