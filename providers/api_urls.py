from django.urls import path

from providers import apis, capacity_apis, waiting_time_apis

urlpatterns = [
    path("specialisms/", apis.SpecialismListApi.as_view(), name="api-specialisms"),
    path("treatments/", apis.TreatmentListApi.as_view(), name="api-treatments"),
    path("regions/", apis.RegionListApi.as_view(), name="api-regions"),
    path("norms/", apis.NormListApi.as_view(), name="api-norms"),
    path("providers/", apis.ProviderListApi.as_view(), name="api-providers"),
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
        "waiting-times/current/",
        apis.WaitingTimeCurrentListApi.as_view(),
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
