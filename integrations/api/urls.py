from django.urls import path

from integrations.api import views

urlpatterns = [
    path("inbound/<slug:kind>/", views.InboundView.as_view(), name="inbound"),
]
