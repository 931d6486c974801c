"""Fixtures of the audit tests: BJ01's installation team of three (a leader among them), an installation order it
did, the installation supervisor who audits, and the same in SH01 for the other-branch checks."""

from dataclasses import dataclass

import pytest
from django.utils import translation

from aftersales.core.testing import api_client, make_person
from aftersales.customers.tests.factories import CustomerFactory
from aftersales.org.models import Employee, Team
from aftersales.quality import services
from aftersales.service.models import ServiceOrder
from aftersales.service.services import orders as order_services

API = "/api/v1"


@pytest.fixture
def english(settings):
    """Messages in English (the source language), for requests and direct calls."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to a fresh folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def employee_of(user) -> Employee:
    return Employee.objects.get(user=user)


@dataclass
class Site:
    """One branch's installation team (members in employee-number order, the second one leads), an order of theirs,
    an advisor who opened it, an installation supervisor and a service manager."""

    branch: object
    team: Team
    members: list  # users
    advisor: object
    supervisor: object
    manager: object
    order: ServiceOrder

    @property
    def member_employees(self) -> list[Employee]:
        return [employee_of(user) for user in self.members]

    @property
    def auditor(self) -> Employee:
        return employee_of(self.supervisor)

    def new_order(self, team=None) -> ServiceOrder:
        return order_services.order_create(
            actor=self.advisor,
            branch=self.branch,
            customer=CustomerFactory(branch=self.branch),
            type="installation",
            team=team or self.team,
            concerns="全屋定制安装",
        )

    def record(self, violations=(), *, actor=None, team="default", **kwargs):
        return services.audit_record(
            actor=actor or self.supervisor,
            auditor=kwargs.pop("auditor", None) or self.auditor,
            order=kwargs.pop("order", None) or self.order,
            team=self.team if team == "default" else team,
            violations=list(violations),
            **kwargs,
        )


def make_site(branch, *, members: int = 3) -> Site:
    team = Team.objects.create(branch=branch, name=f"安装一组-{branch.code}", kind="installation")
    users = [make_person(role="technician", branch=branch) for _ in range(members)]
    Employee.objects.filter(user__in=users).update(team=team)
    if len(users) > 1:
        team.leader = employee_of(users[1])
        team.save(update_fields=["leader"])
    advisor = make_person(role="service_advisor", branch=branch)
    site = Site(
        branch=branch,
        team=team,
        members=users,
        advisor=advisor,
        supervisor=make_person(role="install_supervisor", branch=branch),
        manager=make_person(role="service_manager", branch=branch),
        order=None,
    )
    site.order = site.new_order()
    return site


@pytest.fixture
def site(branch):
    return make_site(branch)


@pytest.fixture
def far(other_branch):
    """The same set-up in SH01."""
    return make_site(other_branch)


@pytest.fixture
def api():
    """One bearer-token client per user (a token is issued once)."""
    clients = {}

    def client_for(user):
        if user.pk not in clients:
            clients[user.pk] = api_client(user)
        return clients[user.pk]

    return client_for


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")
