"""Fixtures shared by the whole suite: a region with two stores, people in roles, clients."""

import pytest

from aftersales.core.testing import api_client, make_person, page_client


@pytest.fixture
def region(db):
    from aftersales.org.models import Branch

    hq = Branch.objects.create(code="HQ", name="总部", kind="head_office")
    return Branch.objects.create(code="RN", name="华北区域", kind="region", parent=hq)


@pytest.fixture
def branch(region):
    from aftersales.org.models import Branch

    return Branch.objects.create(code="BJ01", name="北京朝阳店", kind="store", parent=region)


@pytest.fixture
def other_branch(region):
    from aftersales.org.models import Branch

    return Branch.objects.create(code="SH01", name="上海浦东店", kind="store", parent=region)


@pytest.fixture
def person(branch):
    """`person("service_advisor")` → a user of `branch` holding that role; `branch=` for another branch."""

    def make(role=None, *, branch=branch, **kwargs):
        return make_person(role=role, branch=branch, **kwargs)

    return make


@pytest.fixture
def admin_user(branch):
    return make_person(role=None, branch=branch, username="root", superuser=True)


@pytest.fixture
def pages():
    return page_client


@pytest.fixture
def api():
    return api_client
