"""Transactional tests (browser, real worker) get the reference data the migrations load, even
after an earlier transactional test has flushed the database."""

import pytest

from providers.models import Norm, PostcodeArea, Region, Specialism, Treatment


@pytest.mark.parametrize("run", [1, 2])
def test_reference_data_survives_flushes(reference_data, run) -> None:
    # The second run comes after the first one's flush.
    assert Norm.objects.count() == 4
    assert Region.objects.count() == 10
    assert Specialism.objects.filter(code="0305").exists()
    assert Treatment.objects.count() >= 30
    assert PostcodeArea.objects.count() > 4000
