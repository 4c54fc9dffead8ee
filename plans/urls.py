"""Web pages of the plans app, under /plannen/."""

from django.urls import path

from plans import views

app_name = "plans"

urlpatterns: list = [
    path("", views.plan_list, name="plan-list"),
    path("nieuw/", views.plan_create_view, name="plan-create"),
    path("inbox/", views.plan_inbox_view, name="plan-inbox"),
    path("portefeuille/", views.plan_portfolio, name="plan-portfolio"),
    path("overzicht/", views.plan_overview, name="plan-overview"),
    path("<int:pk>/", views.plan_detail, name="plan-detail"),
    path("<int:pk>/wijzigen/", views.plan_edit, name="plan-edit"),
    path("<int:pk>/regels/", views.plan_lines_edit, name="plan-lines"),
    path("<int:pk>/sjabloon.xlsx", views.plan_template, name="plan-template"),
    path("<int:pk>/upload/", views.plan_upload, name="plan-upload"),
    path("<int:pk>/export.xlsx", views.plan_export, name="plan-export"),
    path("<int:pk>/indienen/", views.plan_submit_view, name="plan-submit"),
    path("<int:pk>/verwijderen/", views.plan_delete_view, name="plan-delete"),
    path("<int:pk>/voortgang/", views.plan_progress, name="plan-progress"),
    path("<int:pk>/beoordelen/", views.plan_review_view, name="plan-review"),
    path("<int:pk>/afsluiten/", views.plan_close_view, name="plan-close"),
    path("<int:pk>/versies/<int:number>/", views.plan_version_view, name="plan-version"),
]
