"""The progress board's secret link at service level: the token a rotation returns opens its branch's board only until
the next rotation or a revocation; anything else opens nothing. The board read for that link masks plates and names
no customer, and shows only that branch's orders. (The public page itself is tested with the pages.)
"""

import pytest
from django.core.exceptions import PermissionDenied

from aftersales.customers.tests.factories import VehicleFactory
from aftersales.workshop import selectors
from aftersales.workshop.models import WorkshopSettings
from aftersales.workshop.services.setup import board_branch_for_token, board_link_revoke, board_link_rotate

pytestmark = pytest.mark.django_db


def rotate(workshop):
    return board_link_rotate(actor=workshop.workshop_manager, branch=workshop.branch)


def test_the_token_a_rotation_returns_opens_that_branchs_board(workshop):
    token = rotate(workshop)

    assert len(token) >= 30
    assert board_branch_for_token(token) == workshop.branch


def test_only_the_hash_of_the_token_is_kept(workshop):
    token = rotate(workshop)

    kept = WorkshopSettings.objects.get(branch=workshop.branch)
    assert kept.board_token_hash and token not in kept.board_token_hash
    assert kept.board_token_created_at is not None


def test_rotating_again_closes_the_old_link_and_opens_the_new(workshop):
    old = rotate(workshop)
    new = rotate(workshop)

    assert new != old
    assert board_branch_for_token(old) is None
    assert board_branch_for_token(new) == workshop.branch


def test_revoking_closes_the_link(workshop):
    token = rotate(workshop)

    board_link_revoke(actor=workshop.workshop_manager, branch=workshop.branch)

    assert board_branch_for_token(token) is None
    assert WorkshopSettings.objects.get(branch=workshop.branch).board_token_hash == ""


@pytest.mark.parametrize("token", ["", None, "garbage", "x" * 500])
def test_an_empty_or_unknown_token_opens_nothing(workshop, token):
    rotate(workshop)
    assert board_branch_for_token(token) is None


def test_an_empty_token_opens_nothing_even_when_no_link_was_ever_made(workshop):
    WorkshopSettings.objects.create(branch=workshop.branch)
    assert board_branch_for_token("") is None


def test_each_branch_has_its_own_link(workshop, other_branch, admin_user):
    ours = rotate(workshop)
    theirs = board_link_rotate(actor=admin_user, branch=other_branch)

    assert board_branch_for_token(ours) == workshop.branch
    assert board_branch_for_token(theirs) == other_branch


@pytest.mark.parametrize("role", ["dispatcher", "technician", "advisor"])
def test_only_who_may_change_the_workshop_settings_makes_or_revokes_the_link(workshop, role):
    who = getattr(workshop, role)
    with pytest.raises(PermissionDenied):
        board_link_rotate(actor=who, branch=workshop.branch)
    with pytest.raises(PermissionDenied):
        board_link_revoke(actor=who, branch=workshop.branch)


def test_the_managers_may_make_the_link(workshop):
    assert board_branch_for_token(board_link_rotate(actor=workshop.manager, branch=workshop.branch)) == workshop.branch


# -- what the link shows ---------------------------------------------------------------------------------------------------------


def test_the_masked_board_hides_the_middle_of_the_plate_and_the_customer(workshop):
    order, _jobs = workshop.order_with({"hours": "1", "skill": "机修"})

    (row,) = selectors.board_rows(branch=workshop.branch, masked=True)

    assert row.order == order
    assert row.plate == "京A***45"
    assert row.customer == ""


def test_the_staff_board_shows_the_plate_and_the_customer(workshop):
    workshop.order_with({"hours": "1", "skill": "机修"})

    (row,) = selectors.board_rows(branch=workshop.branch)

    assert row.plate == "京A12345"
    assert row.customer == workshop.customer.name != ""


def test_the_board_of_a_link_shows_only_its_branchs_orders(workshop, foreign_order):
    ours, _jobs = workshop.order_with({"hours": "1", "skill": "机修"})
    theirs, _line = foreign_order

    token = rotate(workshop)
    rows = selectors.board_rows(branch=board_branch_for_token(token), masked=True)

    assert [r.order for r in rows] == [ours]
    assert theirs.branch != workshop.branch


@pytest.mark.parametrize(
    ("plate", "masked"),
    [("京A12345", "京A***45"), ("粤B1234D", "粤B***4D"), ("京AD12345", "京A****45"), ("京A1", "京**"), ("", "")],
)
def test_plates_are_masked_in_the_middle(plate, masked):
    assert selectors.mask_plate(plate) == masked


def test_an_order_of_a_second_car_gets_its_own_masked_plate(workshop):
    VehicleFactory(customer=workshop.customer, plate="沪C99887")
    workshop.order_with({"hours": "1", "skill": "机修"}, plate="沪C99888")

    (row,) = selectors.board_rows(branch=workshop.branch, masked=True)

    assert row.plate == "沪C***88"
