from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("new/", views.customer_create, name="create"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/status/<slug:action>/", views.customer_transition, name="transition"),
    path("<int:customer_id>/service-users/new/", views.service_user_create,
         name="service_user_create"),
    path("<int:customer_id>/service-users/<int:service_user_id>/", views.service_user_edit,
         name="service_user_edit"),
    path("<int:customer_id>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:customer_id>/contacts/<int:contact_id>/remove/", views.contact_remove,
         name="contact_remove"),
    path("<int:customer_id>/addresses/new/", views.address_create, name="address_create"),
    path("<int:customer_id>/addresses/<int:address_id>/", views.address_edit,
         name="address_edit"),
    path("<int:customer_id>/accounts/new/", views.account_create, name="account_create"),
    path("<int:customer_id>/accounts/<int:account_id>/", views.account_edit,
         name="account_edit"),
    path("<int:customer_id>/accounts/<int:account_id>/close/", views.account_close,
         name="account_close"),
]
