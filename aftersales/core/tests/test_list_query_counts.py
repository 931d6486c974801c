"""Every list page (and the home page) runs a fixed number of SQL queries, however many rows there are.

Each page is asked with 3 rows and again with 60 (more than one full page): the count must be the
exact number below both times. A page that starts loading something per row (a missing
`select_related`, a template touching a field the selector did not load) fails here with 60 rows.

The numbers, for a regional manager (sees the region's branches):
- every signed-in page: the session, the user, the user's and the roles' permissions (4), and the
  person's employee record for the name in the page head;
- a page of branch-scoped data loads that employee with its further branches, then the branch tree
  (`org.access.branch_ids_for_user`: 2 instead of the 1);
- a list adds the capped count, the page of rows (with its `select_related`), and its per-page extras
  (the assets of the customers on the page, the roles of the employees on the page, the filter bar's
  branches or positions).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.core.testing import make_person, page_client
from aftersales.customers.tests.factories import CustomerFactory, DeviceFactory, VehicleFactory
from aftersales.org.models import Employee
from aftersales.org.tests.factories import BranchFactory, PositionFactory, TeamFactory

SIGNED_IN = 4  # session, user, the user's role names (permissions come from the role matrix), the employee
SCOPED = 5  # the same, the employee coming with its further branches, and the branch tree
FEW, MANY = 3, 60


def add_customers(count: int, *, branch, region) -> None:
    """Customers with one or two assets each (a vehicle, sometimes a phone too), and one without any."""
    for number in range(count):
        vehicle = VehicleFactory(customer__branch=branch)
        if number % 3 == 0:
            DeviceFactory(customer=vehicle.customer)
    if count:
        CustomerFactory(branch=branch)


def add_assets(count: int, *, branch, region) -> None:
    for number in range(count):
        (DeviceFactory if number % 4 == 0 else VehicleFactory)(customer__branch=branch)


def add_branches(count: int, *, branch, region) -> None:
    for _number in range(count):
        store = BranchFactory(parent=region)
        make_person(role="technician", branch=store)


def add_employees(count: int, *, branch, region) -> None:
    position = PositionFactory()
    team = TeamFactory(branch=branch)
    for number in range(count):
        user = make_person(role=["technician", "qc_inspector"] if number % 2 else "technician", branch=branch)
        Employee.objects.filter(user=user).update(position=position, team=team if number % 2 else None)


def add_teams(count: int, *, branch, region) -> None:
    for number in range(count):
        team = TeamFactory(branch=branch)
        if number % 2:
            leader = make_person(role="technician", branch=branch)
            Employee.objects.filter(user=leader).update(team=team)
            team.leader = leader.employee
            team.save(update_fields=["leader"])


def add_positions(count: int, *, branch, region) -> None:
    boss = None
    for _number in range(count):
        boss = PositionFactory(reports_to=boss)
        holder = make_person(role="technician", branch=branch)
        Employee.objects.filter(user=holder).update(position=boss)


def add_customers_and_staff(count: int, *, branch, region) -> None:
    add_customers(count, branch=branch, region=region)
    add_branches(count, branch=branch, region=region)


@dataclass(frozen=True)
class ListPage:
    name: str
    url_name: str
    add_rows: Callable
    queries: int
    query: Callable[[object], str] = lambda branch: ""
    paged: bool = True
    htmx: bool = False


PAGES = [
    # + capped count, rows, the page's customers' assets, the filter bar's branches
    ListPage("customers", "customers:customer_list", add_customers, SCOPED + 4),
    ListPage(
        "customers, searched",
        "customers:customer_list",
        add_customers,
        SCOPED + 4,
        query=lambda branch: "?q=京A",
    ),
    ListPage(
        "customers, filtered and sorted",
        "customers:customer_list",
        add_customers,
        SCOPED + 4,
        query=lambda branch: f"?branch={branch.pk}&kind=person&source=walk_in&active=all&sort=-mobile",
    ),
    # the live search answers with the results only: no page shell, no filter bar
    ListPage(
        "customers, live search (htmx)",
        "customers:customer_list",
        add_customers,
        SCOPED + 3,
        query=lambda branch: "?q=京A",
        htmx=True,
    ),
    # + capped count, rows (with customer and branch), the filter bar's branches
    ListPage("assets", "customers:asset_list", add_assets, SCOPED + 3),
    # + capped count, rows (with parent and employee counts)
    ListPage("branches", "org:branch_list", add_branches, SCOPED + 2),
    # + capped count, rows (with user, branch, position, team), the page's roles, the filter bar's branches
    # and positions
    ListPage("employees", "org:employee_list", add_employees, SCOPED + 5),
    # + capped count, rows (with branch, leader and member counts), the filter bar's branches
    ListPage("teams", "org:team_list", add_teams, SCOPED + 3),
    # + capped count, rows (with the position reported to and employee counts)
    ListPage("positions", "org:position_list", add_positions, SIGNED_IN + 2),
    # + counts of customers, assets and employees, the first 20 branches
    ListPage("home", "home", add_customers_and_staff, SCOPED + 4, paged=False),
]


def queries_of(client, url: str) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_list_page_runs_the_same_queries_for_3_rows_and_for_60(page, region, branch, django_assert_num_queries):
    # given a regional manager and a few rows
    viewer = page_client(make_person(role="regional_manager", branch=region))
    url = reverse(page.url_name) + page.query(branch)
    headers = {"HX-Request": "true"} if page.htmx else {}
    page.add_rows(FEW, branch=branch, region=region)

    # when the page is asked with a few rows, then with more than a page of them
    with django_assert_num_queries(page.queries):
        few_response = viewer.get(url, headers=headers)
    page.add_rows(MANY - FEW, branch=branch, region=region)
    with django_assert_num_queries(page.queries):
        many_response = viewer.get(url, headers=headers)

    # then both answered with their rows, the second with a full page and a next one
    assert few_response.status_code == many_response.status_code == 200
    if page.htmx:
        assert b"<html" not in many_response.content
    if page.paged:
        few_page, many_page = few_response.context["page"], many_response.context["page"]
        assert len(few_page.items) >= FEW and not few_page.has_next
        assert len(many_page.items) == settings.AFTERSALES["PAGE_SIZE"] and many_page.has_next
    else:
        cards = {str(card["label"]): card["value"] for card in many_response.context["dashboard"]["cards"]}
        assert cards and min(int(value) for value in cards.values()) >= MANY


def test_query_count_of_the_customer_list_does_not_grow_with_the_data(region, branch):
    # given a regional manager and 3 customers
    viewer = page_client(make_person(role="regional_manager", branch=region))
    url = reverse("customers:customer_list")
    add_customers(FEW, branch=branch, region=region)
    _response, few = queries_of(viewer, url)

    # when there are 60
    add_customers(MANY - FEW, branch=branch, region=region)
    _response, many = queries_of(viewer, url)

    # then the page runs the same statements, one for one (only the ids in them differ)
    assert len(many) == len(few)
    assert [sql.split(" WHERE ")[0] for sql in many] == [sql.split(" WHERE ")[0] for sql in few]
