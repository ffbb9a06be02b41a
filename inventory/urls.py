from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock, name="stock"),
    path("items/", views.item_list, name="items"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/warehouse-action/", views.item_warehouse_action,
         name="item_warehouse_action"),
    path("items/<int:item_id>/release/", views.item_release, name="item_release"),
    path("items/<int:item_id>/declare-missing/", views.item_declare_missing,
         name="item_declare_missing"),
    path("items/<int:item_id>/found/", views.item_found, name="item_found"),
    path("transfers/", views.transfer_list, name="transfers"),
    path("transfers/new/", views.transfer_create, name="transfer_create"),
    path("transfers/<int:transfer_id>/", views.transfer_detail, name="transfer"),
    path("receipts/", views.receipt_list, name="receipts"),
    path("receipts/new/", views.receipt_create, name="receipt_create"),
    path("receipts/<int:receipt_id>/", views.receipt_detail, name="receipt"),
    path("receipts/<int:receipt_id>/progress/", views.receipt_progress, name="receipt_progress"),
    path("receipts/<int:receipt_id>/errors.csv", views.receipt_errors, name="receipt_errors"),
    path("receipts/<int:receipt_id>/resume/", views.receipt_resume, name="receipt_resume"),
    path("locations/", views.location_list, name="locations"),
]
