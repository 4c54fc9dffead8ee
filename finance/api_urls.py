"""Finance endpoints (DESIGN §8), mounted at /api/v1/."""

from django.urls import path

from finance import apis

urlpatterns = [
    path("contracts/", apis.ContractListCreateApi.as_view(), name="api-contracts"),
    path("contracts/<int:pk>/", apis.ContractDetailApi.as_view(), name="api-contract"),
    path("arrangements/", apis.ArrangementListCreateApi.as_view(), name="api-arrangements"),
    path("arrangements/<int:pk>/", apis.ArrangementDetailApi.as_view(), name="api-arrangement"),
    path(
        "arrangements/<int:pk>/agree/",
        apis.ArrangementAgreeApi.as_view(),
        name="api-arrangement-agree",
    ),
    path(
        "arrangements/<int:pk>/settle/",
        apis.ArrangementSettleApi.as_view(),
        name="api-arrangement-settle",
    ),
    path(
        "arrangements/<int:pk>/production/",
        apis.ArrangementProductionApi.as_view(),
        name="api-arrangement-production",
    ),
    path(
        "arrangements/<int:pk>/claims/",
        apis.ArrangementClaimsApi.as_view(),
        name="api-arrangement-claims",
    ),
    path(
        "arrangements/<int:pk>/claims/<int:claim_pk>/approve/",
        apis.ClaimApproveApi.as_view(),
        name="api-claim-approve",
    ),
    path(
        "arrangements/<int:pk>/claims/<int:claim_pk>/reject/",
        apis.ClaimRejectApi.as_view(),
        name="api-claim-reject",
    ),
    path(
        "arrangements/<int:pk>/payments/",
        apis.ArrangementPaymentsApi.as_view(),
        name="api-arrangement-payments",
    ),
]
