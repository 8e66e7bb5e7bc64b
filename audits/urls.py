from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("", views.events, name="events"),
    path("summary/", views.summary, name="summary"),
    path("summary/pdf/", views.summary_pdf, name="summary_pdf"),
    path("export/", views.export, name="export"),
    path("<int:seq>/", views.event, name="event"),
]
