"""Web pages of the mediation app, under /bemiddeling/."""

from django.urls import path

from mediation.views import (
    assignment,
    invitations,
    lifecycle,
    mediator,
    outcomes,
    patient,
    receiving,
    regulator,
    waiting_lists,
)

app_name = "mediation"

urlpatterns: list = [
    # Patients (public; the status pages need the secret token of the case).
    path("aanvragen/", patient.request_create, name="request-create"),
    path("aanvragen/ontvangen/", patient.request_confirmation, name="request-confirmation"),
    path("aanvragen/locaties/", patient.request_locations, name="request-locations"),
    path("status/<str:reference>/<str:token>/", patient.request_status, name="request-status"),
    path(
        "status/<str:reference>/<str:token>/aanbod/<int:pk>/accepteren/",
        patient.offer_accept_view,
        name="offer-accept",
    ),
    path(
        "status/<str:reference>/<str:token>/aanbod/<int:pk>/afwijzen/",
        patient.offer_decline_view,
        name="offer-decline",
    ),
    path(
        "status/<str:reference>/<str:token>/intrekken/",
        patient.request_withdraw_view,
        name="request-withdraw",
    ),
    # Mediators.
    path("zaken/", mediator.case_list, name="case-list"),
    path("zaken/telefonisch/", mediator.case_create_phone, name="case-create-phone"),
    path("zaken/toewijzen/", mediator.case_bulk_assign_view, name="case-bulk-assign"),
    path("zaken/<str:reference>/", mediator.case_detail, name="case-detail"),
    path("zaken/<str:reference>/toewijzen/", mediator.case_assign_view, name="case-assign"),
    path("zaken/<str:reference>/contact/", mediator.case_start_view, name="case-start"),
    path("zaken/<str:reference>/aanbod/", mediator.case_offer_view, name="case-offer"),
    path("zaken/<str:reference>/notitie/", mediator.case_note_view, name="case-note"),
    path("zaken/<str:reference>/sluiten/", mediator.case_close_view, name="case-close"),
    path("zaken/<str:reference>/wijzigen/", lifecycle.case_edit_view, name="case-edit"),
    path("zaken/<str:reference>/brief/", lifecycle.case_letter_view, name="case-letter"),
    path(
        "zaken/<str:reference>/aanbod/<int:pk>/antwoord/",
        lifecycle.case_offer_answer_view,
        name="case-offer-answer",
    ),
    path("resultaten/", outcomes.outcomes, name="outcomes"),
    # The regulator: how insurers mediate, in aggregate.
    path("resultaten/verzekeraars/", regulator.insurer_outcomes, name="regulator-outcomes"),
    path("toewijzing/", assignment.assignment_run_list, name="assignment-run-list"),
    path("toewijzing/<int:pk>/", assignment.assignment_run_detail, name="assignment-run-detail"),
    path(
        "toewijzing/<int:pk>/toepassen/",
        assignment.assignment_run_apply_view,
        name="assignment-run-apply",
    ),
    path("instellingen/", mediator.settings_view, name="settings"),
    # Receiving providers.
    path("binnenkomend/", receiving.incoming_list, name="incoming-list"),
    path("binnenkomend/<int:pk>/bevestigen/", receiving.incoming_confirm, name="incoming-confirm"),
    # Consented waiting lists, proactive scans and invitations (issue 15).
    path(
        "uitnodiging/<str:reference>/<str:token>/",
        invitations.invitation_page,
        name="invitation",
    ),
    path(
        "uitnodiging/<str:reference>/<str:token>/ja/",
        invitations.invitation_accept_view,
        name="invitation-accept",
    ),
    path(
        "uitnodiging/<str:reference>/<str:token>/nee/",
        invitations.invitation_decline_view,
        name="invitation-decline",
    ),
    path("wachtlijst/", waiting_lists.waiting_list_view, name="waiting-list"),
    path("wachtlijst/upload/", waiting_lists.waiting_list_upload_view, name="waiting-list-upload"),
    path(
        "wachtlijst/upload/<int:pk>/",
        waiting_lists.waiting_list_upload_status,
        name="waiting-list-upload-status",
    ),
    path("scans/", waiting_lists.scan_list, name="scan-list"),
    path("scans/<int:pk>/", waiting_lists.scan_detail, name="scan-detail"),
    path(
        "uitnodigingen/<str:reference>/brief/",
        waiting_lists.invitation_letter,
        name="invitation-letter",
    ),
]
