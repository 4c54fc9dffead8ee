"""The plans tests read messages in English (the source language); the Dutch catalogue is checked
elsewhere."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
