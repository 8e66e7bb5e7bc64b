from django.urls import path

from . import views, views_onboarding

app_name = "personnel"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("me/", views.me, name="me"),
    path("designations/", views.designations, name="designations"),
    path("onboarding/", views_onboarding.awaiting_list, name="onboarding"),
    path("onboarding/<int:pk>/", views_onboarding.onboard, name="onboard"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/reviews/new/", views.review_add, name="review_add"),
    path("<int:pk>/trainings/new/", views.training_add, name="training_add"),
    path("<int:pk>/documents/new/", views.document_add, name="document_add"),
    path("<int:pk>/leave/new/", views.leave_open, name="leave_open"),
    path("<int:pk>/travel/new/", views.travel_request, name="travel_request"),
    path("documents/<int:pk>/hand-back/", views.document_hand_back, name="document_hand_back"),
    path("documents/<int:pk>/cancel/", views.document_cancel, name="document_cancel"),
    path("leaves/", views.leave_list, name="leave_list"),
    path("leaves/<int:pk>/", views.leave_detail, name="leave_detail"),
    path("leaves/<int:pk>/talk/", views.leave_talk, name="leave_talk"),
    path("leaves/<int:pk>/commitment/", views.leave_commitment, name="leave_commitment"),
    path("leaves/<int:pk>/approve/", views.leave_approve, name="leave_approve"),
    path("leaves/<int:pk>/cancel/", views.leave_cancel, name="leave_cancel"),
    path("travel/", views.travel_list, name="travel_list"),
    path("travel/<int:pk>/", views.travel_detail, name="travel_detail"),
    path("travel/<int:pk>/decide/<str:step>/", views.travel_decide, name="travel_decide"),
    path("travel/<int:pk>/education/", views.travel_education, name="travel_education"),
    path("travel/<int:pk>/return/", views.travel_return, name="travel_return"),
    path("travel/<int:pk>/cancel/", views.travel_cancel, name="travel_cancel"),
]
