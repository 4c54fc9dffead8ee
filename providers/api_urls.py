from django.urls import path

from providers import apis

urlpatterns = [
    path("specialisms/", apis.SpecialismListApi.as_view(), name="api-specialisms"),
    path("treatments/", apis.TreatmentListApi.as_view(), name="api-treatments"),
    path("regions/", apis.RegionListApi.as_view(), name="api-regions"),
    path("norms/", apis.NormListApi.as_view(), name="api-norms"),
    path("providers/", apis.ProviderListApi.as_view(), name="api-providers"),
]
