from django.urls import path

from aftersales.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("export.xlsx", views.customer_export, name="customer_export"),
    path("import/", views.customer_import, name="customer_import"),
    path("import/template.xlsx", views.customer_import_template, name="customer_import_template"),
    path("import/<int:pk>/", views.customer_import_preview, name="customer_import_preview"),
    path("import/<int:pk>/commit/", views.customer_import_commit, name="customer_import_commit"),
    path("import/<int:pk>/discard/", views.customer_import_discard, name="customer_import_discard"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:customer_pk>/assets/new/", views.asset_create, name="asset_create"),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
]
