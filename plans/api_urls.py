"""REST endpoints of the plans app (DESIGN §8)."""

from django.urls import path

from plans import apis

urlpatterns = [
    path("plans/", apis.PlanListCreateApi.as_view(), name="api-plans"),
    path("plans/<int:pk>/", apis.PlanDetailApi.as_view(), name="api-plan"),
    path("plans/<int:pk>/submit/", apis.PlanSubmitApi.as_view(), name="api-plan-submit"),
    path("plans/<int:pk>/review/", apis.PlanReviewApi.as_view(), name="api-plan-review"),
    path("plans/<int:pk>/close/", apis.PlanCloseApi.as_view(), name="api-plan-close"),
    path("plans/<int:pk>/progress/", apis.PlanProgressApi.as_view(), name="api-plan-progress"),
]
