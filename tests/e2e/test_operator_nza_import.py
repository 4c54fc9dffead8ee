"""The platform operator loads the national NZa file on its page, follows the import and sees what
it created and skipped; the search then marks the NZa's figures (issue 14)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.celery import app
from providers.models import Provider, WaitingTimeImport
from providers.waiting_times.rules import nza_reference_date_on_or_before
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

HEADER = (
    "ID;PEILDATUM;TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;BEHANDELING;AGB_CODE_ZORGAANBIEDER;"
    "ZORGAANBIEDER;TYPE_ZORGINSTELLING;ROAZ_REGIO;AGB_CODE_LOCATIE;LOCATIE;POSTCODE;PLAATS\n"
)
WHERE = (
    "06555001;Ziekenhuis Nergenshuizen;Ziekenhuis;Netwerk Acute Zorg West;06555101;Noord;"
    "2333 ZA;Leiden"
)


@pytest.fixture
def eager_tasks():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_operator_imports_the_national_file(browsing, tmp_path, eager_tasks):
    operator = UserFactory(is_staff=True, is_superuser=True)
    day = nza_reference_date_on_or_before(timezone.localdate()).isoformat()
    page = browsing.page
    main = page.locator("main")

    browsing.visit("/accounts/login/")
    main.locator("input[name='username']").fill(operator.username)
    main.locator("input[name='password']").fill(PASSWORD)
    main.locator("button[type='submit']").click()
    page.locator("#main-nav a[href$='/wachttijden/nza/']").click()
    expect(page).to_have_url(re.compile(r"/wachttijden/nza/$"))
    assert browsing.accessibility_problems() == []

    file = tmp_path / "Dataset Wachttijden.csv"
    file.write_bytes(
        (
            HEADER
            + f"1;{day};Polikliniekbezoek;30;Orthopedie (305);;{WHERE}\n"
            + f"2;{day};Behandeling;45;Orthopedie (305);Fictieve enkelingreep;{WHERE}\n"
            + f"3;{day};Polikliniekbezoek;20;Fantasiologie (999);;{WHERE}\n"
        ).encode("iso-8859-1")
    )
    main.locator("input[type='file']").set_input_files(str(file))
    main.locator("form.upload-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/wachttijden/nza/\d+/$"))
    expect(main.locator("[data-status='succeeded']")).to_be_visible()
    expect(main.locator("#treatments-heading")).to_be_visible()
    expect(main.locator("table.row-errors tbody tr")).to_have_count(1)
    browsing.screenshot("national-import")
    assert browsing.accessibility_problems() == []
    assert WaitingTimeImport.objects.get().created_by == operator
    assert Provider.objects.filter(agb_code="06555001").exists()

    browsing.visit("/wachttijden/?specialism=0305")
    expect(main.locator("[data-source='nza']").first).to_be_visible()
    browsing.assert_clean()
