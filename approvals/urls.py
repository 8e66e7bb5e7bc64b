from django.urls import path

from . import views
from . import views_destroy, views_requests

app_name = "approvals"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("mine/", views.mine, name="mine"),
    path("queue/", views.queue, name="queue"),
    path("lend/<int:carrier_pk>/", views.loan_request, name="loan_request"),
    path("copy/<int:carrier_pk>/", views_requests.copy_request, name="copy_request"),
    path("compile/", views_requests.compile_request, name="compile_request"),
    path("carry/<int:carrier_pk>/", views_requests.carry_request, name="carry_request"),
    path("repair/<int:carrier_pk>/", views_requests.repair_request, name="repair_request"),
    path("reclassify/<int:carrier_pk>/", views_requests.reclassify_request, name="reclassify_request"),
    path("scope/<int:carrier_pk>/", views_requests.scope_request, name="scope_request"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/check-out/", views.check_out, name="check_out"),
    path("<int:pk>/return/", views.take_back, name="return"),
    path("<int:pk>/make-copies/", views_requests.make_copies, name="make_copies"),
    path("<int:pk>/hand-over-copies/", views_requests.copies_hand_over, name="copies_hand_over"),
    path("destroy/", views_destroy.batches, name="destroy_list"),
    path("destroy/new/", views_destroy.batch_new, name="destroy_new"),
    path("<int:pk>/witnesses/", views_destroy.designate, name="destroy_designate"),
    path("<int:pk>/witness-confirm/", views_destroy.witness_confirm, name="destroy_witness_confirm"),
    path("<int:pk>/execute/", views_destroy.execute, name="destroy_execute"),
    path("<int:pk>/destruction-list.<str:fmt>", views_destroy.destruction_list, name="destroy_list_file"),
]
