"""The benchmark's bulk generator writes rows that obey the same rules as the services' rows."""

import pytest
from django.core.management import call_command

from aftersales.core.access import visible_branch_ids
from aftersales.core.validators import validate_mobile, validate_plate, validate_vin, vin_check_digit_ok
from aftersales.customers.models import Asset, Customer
from aftersales.customers.services import customer_search_refresh
from aftersales.org.models import Branch, User
from bench.seed import ADVISOR, PASSWORD, REGIONAL, bench_seed


@pytest.fixture
def seeded(db):
    return bench_seed(customers=40, branches=3, batch=15)


def test_bench_customers_and_vehicles_are_valid_and_consistent(seeded):
    customers = list(Customer.objects.prefetch_related("assets").select_related("branch"))

    assert len(customers) == 40 and seeded.customers_created == 40
    assert {c.branch.code for c in customers} == {"BN01", "BN02", "BN03"}
    for customer in customers:
        customer.full_clean(exclude=["search_text"])
        validate_mobile(customer.mobile)
        assets = list(customer.assets.all())
        assert assets, "every bench customer has at least one vehicle"
        for asset in assets:
            asset.full_clean()
            validate_vin(asset.vin)
            validate_plate(asset.plate)
            assert vin_check_digit_ok(asset.vin)
            assert asset.branch_id == customer.branch_id
        written = customer.search_text
        customer_search_refresh(customer)  # what the services would write
        customer.refresh_from_db()
        assert customer.search_text == written
    assert len({c.mobile for c in customers}) == 40


def test_running_again_tops_up_to_the_number_asked_and_never_duplicates(seeded):
    first_vins = set(Asset.objects.values_list("vin", flat=True))

    again = bench_seed(customers=40, branches=3, batch=15)
    more = bench_seed(customers=55, branches=3, batch=15)

    assert again.customers_created == 0 and again.customers_before == 40
    assert more.customers_created == 15 and Customer.objects.count() == 55
    vins = list(Asset.objects.values_list("vin", flat=True))
    assert len(vins) == len(set(vins)) and first_vins < set(vins)


def test_bench_people_sign_in_and_see_their_stores(seeded, client):
    region = Branch.objects.get(code="BENCH")
    stores = set(Branch.objects.filter(parent=region).values_list("pk", flat=True))
    advisor, manager = User.objects.get(username=ADVISOR), User.objects.get(username=REGIONAL)

    assert client.login(username=ADVISOR, password=PASSWORD)
    assert visible_branch_ids(advisor) == {Branch.objects.get(code="BN01").pk}
    assert visible_branch_ids(manager) == stores | {region.pk}
    assert advisor.has_perm("customers.view_customer") and manager.has_perm("customers.view_customer")


def test_the_command_reports_what_it_created(db, capsys):
    call_command("bench_seed", customers=12, branches=2, batch=5)

    output = capsys.readouterr().out
    assert "12 customers" in output and "0 were there" in output
    assert Customer.objects.filter(branch__code__in=["BN01", "BN02"]).count() == 12
