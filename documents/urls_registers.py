from django.urls import path

app_name = "registers"

# Filled in by the registers work: index (filter form + download buttons) and downloads.
urlpatterns = []
