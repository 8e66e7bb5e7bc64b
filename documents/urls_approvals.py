from django.urls import path

from . import views_approvals as views

app_name = "approvals"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("mine/", views.mine, name="mine"),
    path("queue/", views.queue, name="queue"),
    path("lend/<int:carrier_pk>/", views.loan_request, name="loan_request"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/check-out/", views.check_out, name="check_out"),
    path("<int:pk>/return/", views.take_back, name="return"),
]
