from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.health, name="health"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:message_id>/retry/", views.outbox_retry, name="outbox_retry"),
    path("inbound/", views.inbound, name="inbound"),
    path("inbound/<int:message_id>/process/", views.inbound_process, name="inbound_process"),
]
