from django.urls import path

from . import views_circulation as views

app_name = "circulation"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("new/<int:carrier_pk>/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/hand/", views.hand, name="hand"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/take-back/", views.take_back, name="take_back"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/slip.<str:fmt>", views.slip, name="slip"),
]
