"""REST endpoints of the mediation app (DESIGN §8)."""

from django.urls import path

from mediation import apis, assignment_apis
from mediation.waiting_lists import apis as waiting_list_apis

urlpatterns: list = [
    path(
        "mediation-requests/",
        apis.MediationRequestCreateApi.as_view(),
        name="api-mediation-requests",
    ),
    path(
        "mediation-requests/<str:reference>/",
        apis.MediationRequestDetailApi.as_view(),
        name="api-mediation-request",
    ),
    path(
        "mediation-requests/<str:reference>/offers/<int:pk>/accept/",
        apis.OfferAcceptApi.as_view(),
        name="api-mediation-request-offer-accept",
    ),
    path(
        "mediation-requests/<str:reference>/offers/<int:pk>/decline/",
        apis.OfferDeclineApi.as_view(),
        name="api-mediation-request-offer-decline",
    ),
    path(
        "mediation-requests/<str:reference>/withdraw/",
        apis.MediationRequestWithdrawApi.as_view(),
        name="api-mediation-request-withdraw",
    ),
    path("cases/", apis.CaseListApi.as_view(), name="api-cases"),
    path("cases/<str:reference>/", apis.CaseDetailApi.as_view(), name="api-case"),
    path("cases/<str:reference>/matches/", apis.CaseMatchesApi.as_view(), name="api-case-matches"),
    path(
        "cases/<str:reference>/offers/", apis.CaseOfferCreateApi.as_view(), name="api-case-offers"
    ),
    path(
        "cases/<str:reference>/offers/<int:pk>/answer/",
        apis.CaseOfferAnswerApi.as_view(),
        name="api-case-offer-answer",
    ),
    path("cases/<str:reference>/close/", apis.CaseCloseApi.as_view(), name="api-case-close"),
    path("incoming/", apis.IncomingListApi.as_view(), name="api-incoming"),
    path(
        "incoming/<int:pk>/confirm/",
        apis.IncomingConfirmApi.as_view(),
        name="api-incoming-confirm",
    ),
    path(
        "assignment-runs/",
        assignment_apis.AssignmentRunCreateApi.as_view(),
        name="api-assignment-runs",
    ),
    path(
        "assignment-runs/<int:pk>/",
        assignment_apis.AssignmentRunDetailApi.as_view(),
        name="api-assignment-run",
    ),
    path(
        "assignment-runs/<int:pk>/proposals/",
        assignment_apis.AssignmentProposalListApi.as_view(),
        name="api-assignment-run-proposals",
    ),
    path(
        "assignment-runs/<int:pk>/apply/",
        assignment_apis.AssignmentRunApplyApi.as_view(),
        name="api-assignment-run-apply",
    ),
    # Consented waiting lists, proactive scans and invitations (issue 15).
    path("waiting-lists/", waiting_list_apis.WaitingListApi.as_view(), name="api-waiting-lists"),
    path(
        "waiting-lists/import/",
        waiting_list_apis.WaitingListImportApi.as_view(),
        name="api-waiting-lists-import",
    ),
    path(
        "proactive-scans/",
        waiting_list_apis.ProactiveScanCreateApi.as_view(),
        name="api-proactive-scans",
    ),
    path(
        "proactive-scans/<int:pk>/",
        waiting_list_apis.ProactiveScanDetailApi.as_view(),
        name="api-proactive-scan",
    ),
    path(
        "invitations/<str:reference>/",
        waiting_list_apis.InvitationDetailApi.as_view(),
        name="api-invitation",
    ),
    path(
        "invitations/<str:reference>/accept/",
        waiting_list_apis.InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "invitations/<str:reference>/decline/",
        waiting_list_apis.InvitationDeclineApi.as_view(),
        name="api-invitation-decline",
    ),
]
