from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("carriers/<int:pk>/", views.carrier_detail, name="carrier_detail"),
]
