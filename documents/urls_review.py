"""每年审核 pages (SPEC §7), included from secrecy/urls.py."""
from django.urls import path

from . import views_review

app_name = "review"

urlpatterns = [
    path("", views_review.review_list, name="list"),
    path("<int:pk>/keep/", views_review.review_keep, name="keep"),
]
