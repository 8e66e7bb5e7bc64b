from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/attendees/", views.attendee_add, name="attendee_add"),
    path("<int:pk>/attendees/<int:attendee_pk>/sign-in/", views.attendee_sign_in, name="sign_in"),
    path("<int:pk>/open/", views.meeting_open, name="open"),
    path("<int:pk>/close/", views.meeting_close, name="close"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("<int:pk>/handouts/", views.handout_give, name="handout_give"),
    path("<int:pk>/handouts/<int:handout_pk>/recover/", views.handout_recover, name="handout_recover"),
    path("<int:pk>/handouts/<int:handout_pk>/lost/", views.handout_lost, name="handout_lost"),
    path("<int:pk>/copy-request/", views.copy_request, name="copy_request"),
    path("<int:pk>/record/", views.record, name="record"),
]
