"""Web UI of the providers app: the public waiting-time search and the planners' pages."""

from django.urls import path

from providers.capacity import views as capacity_views
from providers.nza import views as nza_views
from providers.search import views as search_views
from providers.waiting_times import views as waiting_time_views

app_name = "providers"

urlpatterns: list = [
    path("wachttijden/", search_views.waiting_time_search, name="waiting-time-search"),
    path("wachttijden/invoeren/", waiting_time_views.waiting_time_list, name="waiting-time-list"),
    path(
        "wachttijden/reeks/nieuw/",
        waiting_time_views.waiting_time_series_add,
        name="waiting-time-series-add",
    ),
    path(
        "wachttijden/reeks/<int:pk>/",
        waiting_time_views.waiting_time_series_detail,
        name="waiting-time-series",
    ),
    path("wachttijden/upload/", waiting_time_views.waiting_time_upload, name="waiting-time-upload"),
    path(
        "wachttijden/upload/<int:pk>/",
        waiting_time_views.waiting_time_import_detail,
        name="waiting-time-import",
    ),
    path("wachttijden/nza/", nza_views.nza_upload, name="nza-upload"),
    path("wachttijden/nza/<int:pk>/", nza_views.nza_import_detail, name="nza-import"),
    path("capaciteit/", capacity_views.capacity_offer_list, name="capacity-offer-list"),
    path(
        "capaciteit/<int:pk>/wijzigen/",
        capacity_views.capacity_offer_update_view,
        name="capacity-offer-update",
    ),
    path(
        "capaciteit/<int:pk>/intrekken/",
        capacity_views.capacity_offer_withdraw_view,
        name="capacity-offer-withdraw",
    ),
    path("locaties/status/", capacity_views.location_status, name="location-status"),
]
