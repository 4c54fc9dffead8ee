"""The UI shell: public pages, language switch, security headers, login/logout and navigation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from providers.models import Norm, TreatmentSetting, WaitingTimeKind
from tests.accounts.factories import PASSWORD, InsurerFactory, member

pytestmark = pytest.mark.django_db

# (kind, setting, target_days, max_days) as in DESIGN §3.1.
TREEKNORMEN = [
    (WaitingTimeKind.FIRST_VISIT, "", 21, 28),
    (WaitingTimeKind.DIAGNOSTICS, "", 21, 28),
    (WaitingTimeKind.TREATMENT, TreatmentSetting.DAY, 28, 42),
    (WaitingTimeKind.TREATMENT, TreatmentSetting.INPATIENT, 35, 49),
]

TAG_RE = re.compile(r"<(script|link)\b[^>]*>", re.IGNORECASE)
URL_ATTR_RE = re.compile(r"\b(?:src|href)\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)


@pytest.fixture
def norms():
    for kind, setting, target_days, max_days in TREEKNORMEN:
        Norm.objects.update_or_create(
            kind=kind,
            setting=setting,
            defaults={"target_days": target_days, "max_days": max_days, "target_percentage": 80},
        )


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- Public pages ---------------------------------------------------------------------------
def test_home_is_dutch_by_default_and_shows_the_norms_from_the_database(client, norms):
    html = page(client, reverse("home"))

    assert '<html lang="nl"' in html
    assert "Treeknorm" in html
    assert "Wat zijn de Treeknormen?" in html
    # First visit: maximum 28 days = 4 weeks; inpatient treatment: 49 days = 7 weeks.
    assert "28 dagen" in html
    assert "4 weken" in html
    assert "49 dagen" in html
    assert "7 weken" in html
    assert "zorgbemiddeling" in html
    assert "huisartsenpost" in html


def test_home_rounds_weeks_up_and_follows_edited_norms(client, norms):
    Norm.objects.filter(kind=WaitingTimeKind.FIRST_VISIT).update(target_days=15, max_days=29)

    html = page(client, reverse("home"))

    assert "29 dagen" in html
    assert "5 weken" in html  # 29 days is 4 weeks and a day: rounded up
    assert "3 weken" in html  # 15 days


def test_switching_the_language_to_english(client, norms):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("home")}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("home")
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "What are the Treeknormen?" in html
    assert "28 days" in html
    assert "4 weeks" in html
    assert "Wat zijn de Treeknormen?" not in html


def test_language_switch_is_a_plain_form_that_works_without_javascript(client):
    html = page(client, reverse("home"))

    form = re.search(r'<form[^>]*action="/i18n/setlang/"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert 'name="next" value="/"' in form.group(1)
    assert 'name="language" value="nl"' in form.group(1)
    assert 'name="language" value="en"' in form.group(1)


def test_about_page_names_the_sources_and_licences(client):
    html = page(client, reverse("about"))

    for text in ("GeoNames", "CC BY 4.0", "Vektis", "COD016", "2020-10-23", "ROAZ"):
        assert text in html, text
    for software in ("Bootstrap", "htmx", "Chart.js", "Swagger UI", "Apache 2.0"):
        assert software in html, software


def test_footer_credits_geonames_on_every_page(client):
    html = page(client, reverse("home"))

    assert "Postcodegegevens: GeoNames (CC BY 4.0)" in html


def test_pages_have_landmarks_and_a_skip_link(client):
    html = page(client, reverse("home"))

    assert 'href="#main-content"' in html
    assert '<main id="main-content"' in html
    for landmark in ("<header", "<nav", "<footer"):
        assert landmark in html


# --- Security: CSP and no external hosts -----------------------------------------------------
def test_content_security_policy_is_strict(client):
    response = client.get(reverse("home"))

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("url_name", ["home", "about", "accounts:login", "accounts:dashboard"])
def test_pages_load_scripts_and_styles_only_from_this_site(client, mediator, url_name):
    if url_name == "accounts:dashboard":
        client.force_login(mediator)
    html = page(client, reverse(url_name))

    tags = TAG_RE.findall(html)
    assert tags, "expected script and link tags"
    for tag in re.finditer(TAG_RE, html):
        for url in URL_ATTR_RE.findall(tag.group(0)):
            assert not re.match(r"^(https?:)?//", url), tag.group(0)
    # Nothing inline that the CSP would block.
    assert re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) is None
    assert "<style" not in html
    assert " style=" not in html


def test_vendored_assets_exist_with_their_licences():
    static = Path(settings.BASE_DIR) / "static"
    for relative in (
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/bootstrap/LICENSE",
        "vendor/htmx/htmx.min.js",
        "vendor/htmx/LICENSE",
        "vendor/chartjs/chart.umd.min.js",
        "vendor/chartjs/LICENSE.md",
        "vendor/README.md",
        "css/app.css",
        "js/app.js",
    ):
        path = static / relative
        assert path.is_file(), relative
        assert path.stat().st_size > 0, relative
    assert "Zero-Clause BSD" in (static / "vendor/htmx/LICENSE").read_text()


def test_static_files_are_served(client):
    response = client.get("/static/vendor/htmx/htmx.min.js")

    assert response.status_code == 200


# --- Demo banner ---------------------------------------------------------------------------
def test_no_demo_banner_without_demo_data(client):
    InsurerFactory(is_demo=False)

    html = page(client, reverse("home"))

    assert "Demo-omgeving" not in html


def test_demo_banner_when_a_demo_organisation_exists(client):
    InsurerFactory(is_demo=True)

    html = page(client, reverse("home"))

    assert "Demo-omgeving: alle organisaties, personen en cijfers zijn fictief" in html


# --- Login, logout, lockout ----------------------------------------------------------------
def test_login_with_a_wrong_password_shows_an_error_and_stays(client, mediator):
    response = client.post(
        reverse("accounts:login"), {"username": mediator.username, "password": "wrong-password"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Voer een juiste gebruikersnaam en wachtwoord in" in html
    assert 'role="alert"' in html
    assert 'action="/accounts/login/"' in html
    assert "_auth_user_id" not in client.session


def test_login_field_errors_are_tied_to_their_inputs(client):
    response = client.post(reverse("accounts:login"), {"username": "", "password": ""})

    html = response.content.decode()
    assert 'id="id_username_error"' in html
    assert re.search(r'<input[^>]*aria-describedby="id_username_error"', html)
    assert re.search(r'<input[^>]*aria-invalid="true"', html)
    assert '<label class="form-label" for="id_username">' in html


def test_login_with_the_right_password_goes_to_the_dashboard(client, mediator):
    response = client.post(
        reverse("accounts:login"), {"username": mediator.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:dashboard")


def test_repeated_failures_lock_the_account_out(client, mediator):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": mediator.username, "password": "wrong"})

    response = client.post(
        reverse("accounts:login"), {"username": mediator.username, "password": PASSWORD}
    )

    assert response.status_code == 429
    assert "Te veel mislukte pogingen, probeer het over 15 minuten opnieuw" in (
        response.content.decode()
    )


def test_logout_is_a_post(client, mediator):
    client.force_login(mediator)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_the_dashboard_sends_anonymous_users_to_the_login_page(client):
    response = client.get(reverse("accounts:dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")


# --- Dashboard and navigation ----------------------------------------------------------------
def test_dashboard_greets_the_user_with_organisation_and_role(client, insurer):
    user = member(Role.MEDIATOR, insurer, first_name="Fatima")
    client.force_login(user)

    html = page(client, reverse("accounts:dashboard"))

    assert "Welkom, Fatima" in html
    assert insurer.name in html
    assert "Bemiddelaar" in html
    assert "Werkvoorraad" in html
    assert 'action="/accounts/logout/"' in html


def test_admins_see_members_and_api_keys_in_the_navigation(client, insurer_admin):
    client.force_login(insurer_admin)

    html = page(client, reverse("accounts:dashboard"))

    assert "API-sleutels" in html
    assert f'href="{reverse("accounts:api-keys")}"' in html
    assert f'href="{reverse("accounts:members")}"' in html


def test_mediators_do_not_see_admin_links(client, mediator):
    client.force_login(mediator)

    html = page(client, reverse("accounts:dashboard"))

    assert "API-sleutels" not in html
    assert f'href="{reverse("accounts:api-keys")}"' not in html
    assert f'href="{reverse("accounts:members")}"' not in html
    assert "Werkvoorraad" in html


def test_planners_see_the_provider_tasks(client, planner):
    client.force_login(planner)

    html = page(client, reverse("accounts:dashboard"))

    for text in ("Wachttijden", "Capaciteit", "Plannen"):
        assert text in html
    assert "Werkvoorraad" not in html
    assert "API-sleutels" not in html


def test_anonymous_visitors_see_a_login_link_and_no_staff_navigation(client):
    html = page(client, reverse("home"))

    assert f'href="{reverse("accounts:login")}"' in html
    assert f'href="{reverse("accounts:dashboard")}"' not in html


def test_members_page_lists_the_own_organisation(client, insurer, insurer_admin, other_insurer):
    colleague = member(Role.CONTRACT_MANAGER, insurer, first_name="Jan", last_name="Jansen")
    stranger = member(Role.MEDIATOR, other_insurer)
    client.force_login(insurer_admin)

    html = page(client, reverse("accounts:members"))

    assert colleague.username in html
    assert "Jan Jansen" in html
    assert "Contractmanager" in html
    assert stranger.username not in html


# --- Error pages -------------------------------------------------------------------------------
def test_404_page_uses_the_site_layout(client):
    response = client.get("/bestaat-niet/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Pagina niet gevonden" in html
    assert 'id="main-content"' in html


def test_500_page_renders_without_a_request_context():
    from django.template import loader
    from django.utils import translation

    # The language a thread had last stays active (a test before may have asked for English);
    # the site's default is Dutch.
    with translation.override(settings.LANGUAGE_CODE):
        html = loader.get_template("500.html").render()

    assert "Er is iets misgegaan" in html
    assert "vendor/bootstrap/css/bootstrap.min.css" in html


def test_dutch_is_the_default_even_when_the_browser_asks_for_english(client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.headers["Content-Language"] == "nl"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get("/").headers["Content-Language"] == "en"


def test_norms_are_listed_in_the_order_a_patient_meets_them(client) -> None:
    norms = list(client.get("/").context["norms"])
    assert [(n.kind, n.setting) for n in norms] == [
        ("first_visit", ""),
        ("diagnostics", ""),
        ("treatment", "day"),
        ("treatment", "inpatient"),
    ]


@pytest.mark.parametrize(("days", "weeks"), [(0, 0), (1, 1), (7, 1), (8, 2), (28, 4), (29, 5)])
def test_weeks_filter_rounds_up(days, weeks) -> None:
    from providers.templatetags.waiting_times import weeks as weeks_filter

    assert weeks_filter(days) == weeks
    assert weeks_filter(None) is None


def test_planner_dashboard_reminds_of_stale_figures(client, planner, provider_org) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

    location = LocationFactory(provider=provider_org.provider)
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    assert "out of date" not in client.get("/accounts/").content.decode()
    WaitingTimeSeriesFactory(
        location=location,
        current_reference_date=timezone.localdate() - timedelta(days=40),
        current_days=30,
    )
    page = client.get("/accounts/").content.decode()
    assert "1 of your waiting-time series is out of date" in page
