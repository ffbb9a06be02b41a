from django.urls import path

from callcenter import views

app_name = "callcenter"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_view, name="search"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer"),
    path("customers/<int:customer_id>/panels/<slug:key>/", views.customer_panel, name="panel"),
    path("customers/<int:customer_id>/timeline/", views.customer_timeline, name="timeline"),
    path("customers/<int:customer_id>/interactions/", views.interaction_create,
         name="interaction_create"),
]
