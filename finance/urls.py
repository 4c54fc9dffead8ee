"""Web pages of the finance app, under /financien/."""

from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    path("", views.arrangement_list, name="arrangement-list"),
    path("export/", views.overview_export, name="overview-export"),
    path("contracten/nieuw/", views.contract_create_view, name="contract-create"),
    path("contracten/<int:pk>/", views.contract_detail, name="contract-detail"),
    path("contracten/<int:pk>/waarde/", views.contract_update_view, name="contract-update"),
    path(
        "contracten/<int:pk>/regelingen/",
        views.arrangement_create_view,
        name="arrangement-create",
    ),
    path(
        "contracten/<int:pk>/productie/",
        views.production_record_view,
        name="production-record",
    ),
    path("regelingen/<int:pk>/", views.arrangement_detail, name="arrangement-detail"),
    path(
        "regelingen/<int:pk>/wijzigen/",
        views.arrangement_update_view,
        name="arrangement-update",
    ),
    path(
        "regelingen/<int:pk>/status/<str:transition>/",
        views.arrangement_transition_view,
        name="arrangement-transition",
    ),
    path("regelingen/<int:pk>/declaraties/", views.claim_create_view, name="claim-create"),
    path(
        "regelingen/<int:pk>/declaraties/<int:claim_pk>/<str:decision>/",
        views.claim_decide_view,
        name="claim-decide",
    ),
    path("regelingen/<int:pk>/betalingen/", views.payment_create_view, name="payment-create"),
]
