"""Fixtures of the customer tests."""

import pytest
from django.utils import translation


@pytest.fixture
def english(settings):
    """Messages in English (the source language), whatever translations exist, for requests and direct calls."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
