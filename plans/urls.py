"""Web pages of the plans app, under /plannen/."""

from django.urls import path

from plans.views import dispatch, insurer, provider, regulator, shared

app_name = "plans"

urlpatterns: list = [
    path("", dispatch.plan_list, name="plan-list"),
    path("nieuw/", provider.plan_create_view, name="plan-create"),
    path("inbox/", insurer.plan_inbox_view, name="plan-inbox"),
    path("portefeuille/", insurer.plan_portfolio, name="plan-portfolio"),
    path("overzicht/", regulator.plan_overview, name="plan-overview"),
    path("<int:pk>/", shared.plan_detail, name="plan-detail"),
    path("<int:pk>/wijzigen/", provider.plan_edit, name="plan-edit"),
    path("<int:pk>/regels/", provider.plan_lines_edit, name="plan-lines"),
    path("<int:pk>/sjabloon.xlsx", provider.plan_template, name="plan-template"),
    path("<int:pk>/upload/", provider.plan_upload, name="plan-upload"),
    path("<int:pk>/export.xlsx", shared.plan_export, name="plan-export"),
    path("<int:pk>/indienen/", provider.plan_submit_view, name="plan-submit"),
    path("<int:pk>/verwijderen/", provider.plan_delete_view, name="plan-delete"),
    path("<int:pk>/voortgang/", provider.plan_progress, name="plan-progress"),
    path("<int:pk>/beoordelen/", insurer.plan_review_view, name="plan-review"),
    path("<int:pk>/afsluiten/", insurer.plan_close_view, name="plan-close"),
    path("<int:pk>/versies/<int:number>/", shared.plan_version_view, name="plan-version"),
]
