"""Web pages of the mediation app, under /bemiddeling/."""

from django.urls import path

from mediation import views

app_name = "mediation"

urlpatterns: list = [
    # Patients (public; the status pages need the secret token of the case).
    path("aanvragen/", views.request_create, name="request-create"),
    path("aanvragen/ontvangen/", views.request_confirmation, name="request-confirmation"),
    path("status/<str:reference>/<str:token>/", views.request_status, name="request-status"),
    path(
        "status/<str:reference>/<str:token>/aanbod/<int:pk>/accepteren/",
        views.offer_accept_view,
        name="offer-accept",
    ),
    path(
        "status/<str:reference>/<str:token>/aanbod/<int:pk>/afwijzen/",
        views.offer_decline_view,
        name="offer-decline",
    ),
    path(
        "status/<str:reference>/<str:token>/intrekken/",
        views.request_withdraw_view,
        name="request-withdraw",
    ),
    # Mediators.
    path("zaken/", views.case_list, name="case-list"),
    path("zaken/telefonisch/", views.case_create_phone, name="case-create-phone"),
    path("zaken/<str:reference>/", views.case_detail, name="case-detail"),
    path("zaken/<str:reference>/toewijzen/", views.case_assign_view, name="case-assign"),
    path("zaken/<str:reference>/contact/", views.case_start_view, name="case-start"),
    path("zaken/<str:reference>/aanbod/", views.case_offer_view, name="case-offer"),
    path("zaken/<str:reference>/notitie/", views.case_note_view, name="case-note"),
    path("zaken/<str:reference>/sluiten/", views.case_close_view, name="case-close"),
    path("resultaten/", views.outcomes, name="outcomes"),
    path("instellingen/", views.settings_view, name="settings"),
    # Receiving providers.
    path("binnenkomend/", views.incoming_list, name="incoming-list"),
    path("binnenkomend/<int:pk>/bevestigen/", views.incoming_confirm, name="incoming-confirm"),
]
