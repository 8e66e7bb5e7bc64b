from django.urls import path

from . import views_accounts as views

app_name = "accounts"

urlpatterns = [
    # 系统管理员
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("<int:pk>/disable/", views.account_disable, name="disable"),
    path("<int:pk>/enable/", views.account_enable, name="enable"),
    path("<int:pk>/password/", views.account_password_reset, name="password_reset"),
    path("settings/", views.settings_view, name="settings"),
    # Every signed-in user
    path("password/", views.password_change, name="password_change"),
    # 安全保密管理员
    path("roles/", views.role_list, name="roles"),
    path("roles/<int:pk>/", views.role_detail, name="role_detail"),
    path("roles/<int:pk>/grant/", views.role_grant, name="role_grant"),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("locked/", views.locked_list, name="locked"),
    path("locked/<int:pk>/unlock/", views.account_unlock, name="unlock"),
]
