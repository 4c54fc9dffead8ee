from django.urls import path

from providers.capacity import apis as capacity_apis
from providers.reference import apis as reference_apis
from providers.search import apis as search_apis
from providers.waiting_times import apis as waiting_time_apis

urlpatterns = [
    path("specialisms/", reference_apis.SpecialismListApi.as_view(), name="api-specialisms"),
    path("treatments/", reference_apis.TreatmentListApi.as_view(), name="api-treatments"),
    path("regions/", reference_apis.RegionListApi.as_view(), name="api-regions"),
    path("norms/", reference_apis.NormListApi.as_view(), name="api-norms"),
    path("providers/", reference_apis.ProviderListApi.as_view(), name="api-providers"),
    path(
        "waiting-times/",
        waiting_time_apis.WaitingTimeReportCreateApi.as_view(),
        name="api-waiting-times",
    ),
    path(
        "waiting-times/import/",
        waiting_time_apis.WaitingTimeImportApi.as_view(),
        name="api-waiting-times-import",
    ),
    path(
        "waiting-times/imports/<int:pk>/",
        waiting_time_apis.WaitingTimeImportStatusApi.as_view(),
        name="api-waiting-times-import-status",
    ),
    path(
        "waiting-times/current/",
        search_apis.WaitingTimeCurrentListApi.as_view(),
        name="api-waiting-times-current",
    ),
    path(
        "capacity-offers/",
        capacity_apis.CapacityOfferListCreateApi.as_view(),
        name="api-capacity-offers",
    ),
    path(
        "locations/<str:code>/status/",
        capacity_apis.LocationStatusApi.as_view(),
        name="api-location-status",
    ),
]
