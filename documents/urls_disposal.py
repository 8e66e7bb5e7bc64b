"""离库处置 pages (清退 / 归档 / 移交 / 报告丢失), included from secrecy/urls.py."""
from django.urls import path

from . import views_disposal

app_name = "disposal"

urlpatterns = [
    path("carriers/<int:pk>/dispose/<slug:action>/", views_disposal.dispose, name="dispose"),
]
