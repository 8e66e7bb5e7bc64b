from django.contrib.auth import views as auth_views
from django.urls import path

from personnel.views_login import LoginView

from . import views

# Not namespaced: every template and redirect names them "home", "login" and "logout".
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
