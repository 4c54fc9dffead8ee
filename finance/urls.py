"""Web pages of the finance app, under /financien/: the pages both audiences see
(:mod:`finance.views.shared`) and the contract manager's forms (:mod:`finance.views.insurer`)."""

from django.urls import path

from finance.views import insurer, shared

app_name = "finance"

urlpatterns = [
    path("", shared.arrangement_list, name="arrangement-list"),
    path("export/", shared.overview_export, name="overview-export"),
    path("contracten/nieuw/", insurer.contract_create_view, name="contract-create"),
    path("contracten/<int:pk>/", shared.contract_detail, name="contract-detail"),
    path("contracten/<int:pk>/waarde/", insurer.contract_update_view, name="contract-update"),
    path(
        "contracten/<int:pk>/regelingen/",
        insurer.arrangement_create_view,
        name="arrangement-create",
    ),
    path(
        "contracten/<int:pk>/productie/",
        insurer.production_record_view,
        name="production-record",
    ),
    path("regelingen/<int:pk>/", shared.arrangement_detail, name="arrangement-detail"),
    path(
        "regelingen/<int:pk>/wijzigen/",
        insurer.arrangement_update_view,
        name="arrangement-update",
    ),
    path(
        "regelingen/<int:pk>/status/<str:transition>/",
        insurer.arrangement_transition_view,
        name="arrangement-transition",
    ),
    path("regelingen/<int:pk>/declaraties/", insurer.claim_create_view, name="claim-create"),
    path(
        "regelingen/<int:pk>/declaraties/<int:claim_pk>/<str:decision>/",
        insurer.claim_decide_view,
        name="claim-decide",
    ),
    path("regelingen/<int:pk>/betalingen/", insurer.payment_create_view, name="payment-create"),
]
