from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("carriers/new/incoming/", views.carrier_register_incoming, name="carrier_register_incoming"),
    path("carriers/new/outgoing/", views.carrier_register_outgoing, name="carrier_register_outgoing"),
    path("carriers/<int:pk>/", views.carrier_detail, name="carrier_detail"),
    path("carriers/<int:pk>/correct/", views.carrier_correct, name="carrier_correct"),
    path("carriers/<int:pk>/scope/", views.carrier_scope, name="carrier_scope"),
]
