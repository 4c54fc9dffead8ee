"""Smoke journey in a real browser: home page, language switch, staff login and logout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import PASSWORD, InsurerFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_home_page_in_dutch_then_english(browsing):
    page = browsing.page
    browsing.visit("/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("body")).to_contain_text("Treeknorm")
    dutch_heading = page.locator("h1").first.inner_text()
    assert browsing.accessibility_problems() == []

    page.locator("form[action$='/i18n/setlang/'] button[value='en']").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    browsing.screenshot("home-en")
    expect(page.locator("body")).to_contain_text("Treeknorm")
    assert page.locator("h1").first.inner_text() != dutch_heading
    assert browsing.accessibility_problems() == []

    browsing.assert_clean()


def test_staff_login_reaches_dashboard_and_logout_ends_the_session(browsing):
    insurer = InsurerFactory(name="Zorgverzekeraar Rookproef")
    user = member(Role.MEDIATOR, insurer, first_name="Mira")
    page = browsing.page

    browsing.visit("/accounts/login/")
    assert browsing.accessibility_problems() == []
    page.locator("input[name='username']").fill(user.username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("input[name='password']").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/$"))
    browsing.screenshot("dashboard")
    expect(page.locator("main")).to_contain_text("Zorgverzekeraar Rookproef")
    assert browsing.accessibility_problems() == []

    page.locator("form[action$='/accounts/logout/'] [type='submit']").click()
    expect(page.locator("form[action$='/accounts/logout/']")).to_have_count(0)
    browsing.screenshot("after-logout")

    # The session is over: the dashboard sends us back to the login page.
    browsing.visit("/accounts/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))

    browsing.assert_clean()


def test_wrong_password_is_refused_with_a_message(browsing):
    insurer = InsurerFactory()
    user = member(Role.MEDIATOR, insurer)
    page = browsing.page

    browsing.visit("/accounts/login/")
    page.locator("input[name='username']").fill(user.username)
    page.locator("input[name='password']").fill("not-the-password")
    page.locator("input[name='password']").press("Enter")
    expect(page.locator("[role='alert'], .alert-danger, .errorlist").first).to_be_visible()
    browsing.screenshot("login-refused")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("form[action$='/accounts/logout/']")).to_have_count(0)
    assert browsing.accessibility_problems() == []

    browsing.assert_clean()
