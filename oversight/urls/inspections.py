"""保密检查 pages, mounted at inspections/ by secrecy/urls.py."""
from django.urls import path

from ..views import inspections as views

app_name = "inspections"

urlpatterns = [
    path("", views.inspection_list, name="list"),
    path("new/", views.inspection_create, name="create"),
    path("mine/", views.mine, name="mine"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/active/", views.template_toggle, name="template_toggle"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
    path("<int:pk>/findings/<int:finding_pk>/", views.finding_record, name="finding_record"),
    path("<int:pk>/rectifications/", views.rectification_add, name="rectification_add"),
    path("<int:pk>/rectifications/<int:item_pk>/complete/", views.rectification_complete,
         name="rectification_complete"),
    path("<int:pk>/rectifications/<int:item_pk>/verify/", views.rectification_verify, name="rectification_verify"),
    path("<int:pk>/close/", views.inspection_close, name="close"),
]
