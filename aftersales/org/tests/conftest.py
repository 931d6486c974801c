"""People the organisation tests act as."""

import pytest


@pytest.fixture
def regional(person, region):
    return person("regional_manager", branch=region)


@pytest.fixture
def manager(person):
    return person("service_manager")


@pytest.fixture
def hr(person):
    return person("hr")
