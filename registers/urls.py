from django.urls import path

from . import views

app_name = "registers"

urlpatterns = [
    path("", views.index, name="index"),
    path("download/", views.download, name="download"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/file/", views.job_file, name="job_file"),
]
