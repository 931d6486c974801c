"""Pagination: list pages count up to COUNT_LIMIT and then show "N+"; page windows; pages out of range."""

import pytest

from aftersales.core.pagination import Page, paginate
from aftersales.org.models import Branch
from aftersales.org.tests.factories import BranchFactory


@pytest.fixture
def count_limit(settings):
    def set_limit(limit: int, page_size: int = 50):
        settings.AFTERSALES = {**settings.AFTERSALES, "COUNT_LIMIT": limit, "PAGE_SIZE": page_size}

    return set_limit


@pytest.fixture
def twelve_branches(db):
    BranchFactory.create_batch(12)
    return Branch.objects.order_by("code")


def _page(number: int, count: int, page_size: int = 10, *, capped=False, has_next=None) -> Page:
    if has_next is None:
        has_next = number * page_size < count
    return Page(
        items=[object()], number=number, page_size=page_size, count=count, count_capped=capped, has_next=has_next
    )


def test_count_below_the_limit_is_exact(twelve_branches, count_limit):
    count_limit(100)

    page = paginate(twelve_branches, page=1, page_size=5)

    assert (page.count, page.count_capped) == (12, False)
    assert page.num_pages == 3
    assert [b.code for b in page.items] == [b.code for b in twelve_branches[:5]]
    assert page.has_next and not page.has_previous


def test_count_above_the_limit_is_capped_and_paging_goes_on(twelve_branches, count_limit):
    count_limit(5)

    first = paginate(twelve_branches, page=1, page_size=4)
    third = paginate(twelve_branches, page=3, page_size=4)

    assert (first.count, first.count_capped) == (5, True)
    assert first.has_next
    # beyond the counted rows the user can still page on, and the rows are the right ones
    assert third.number == 3
    assert [b.code for b in third.items] == [b.code for b in twelve_branches[8:12]]
    assert (third.start_index, third.end_index) == (9, 12)
    assert not third.has_next


def test_count_exactly_at_the_limit_is_not_capped(twelve_branches, count_limit):
    count_limit(12)

    page = paginate(twelve_branches, page=1, page_size=5)

    assert (page.count, page.count_capped) == (12, False)


def test_api_style_exact_count_ignores_the_limit(twelve_branches, count_limit):
    count_limit(5)

    page = paginate(twelve_branches, page=1, page_size=5, exact_count=True)

    assert (page.count, page.count_capped) == (12, False)


def test_list_page_shows_the_capped_count_with_a_plus(twelve_branches, count_limit, admin_user, pages):
    count_limit(5, page_size=4)

    html = pages(admin_user).get("/org/branches/").content.decode()

    assert "5+" in html
    assert "12" not in html.split('class="summary"', 1)[1].split("</span>", 1)[0]


def test_list_page_shows_the_exact_count_below_the_limit(twelve_branches, count_limit, admin_user, pages):
    count_limit(1000, page_size=4)

    response = pages(admin_user).get("/org/branches/")

    summary = response.content.decode().split('class="summary"', 1)[1].split("</span>", 1)[0]
    total = Branch.objects.count()
    assert f"{total}" in summary and f"{total}+" not in summary
    assert response.context["page"].num_pages == -(-total // 4)


def test_page_beyond_the_last_shows_the_last_page_when_the_count_is_known(twelve_branches, count_limit):
    count_limit(100)

    page = paginate(twelve_branches, page=99, page_size=5)

    assert page.number == 3
    assert [b.code for b in page.items] == [b.code for b in twelve_branches[10:12]]


def test_page_beyond_the_end_of_a_capped_list_is_empty_with_a_way_back(twelve_branches, count_limit):
    count_limit(5)

    page = paginate(twelve_branches, page=99, page_size=5)

    assert page.items == []
    assert page.has_previous and not page.has_next
    assert page.start_index == 0


@pytest.mark.parametrize("number", ["0", "-3", "abc", "", None, "1.5"])
def test_page_number_that_is_not_a_positive_whole_number_means_the_first_page(twelve_branches, number):
    page = paginate(twelve_branches, page=number, page_size=5)

    assert page.number == 1


def test_page_size_is_bounded_and_defaults_to_the_setting(twelve_branches, count_limit):
    count_limit(1000, page_size=7)

    assert paginate(twelve_branches, page=1).page_size == 7
    assert paginate(twelve_branches, page=1, page_size="nonsense").page_size == 7
    assert paginate(twelve_branches, page=1, page_size=10_000).page_size == 200


def test_empty_list_is_one_empty_page(db):
    page = paginate(Branch.objects.none(), page=5)

    assert (page.number, page.count, page.items, page.num_pages) == (1, 0, [], 1)
    assert (page.start_index, page.end_index) == (0, 0)
    assert page.page_window() == [1]


@pytest.mark.parametrize(
    ("number", "window"),
    [
        (1, [1, 2, 3, None, 20]),
        (3, [1, 2, 3, 4, 5, None, 20]),
        (4, [1, 2, 3, 4, 5, 6, None, 20]),
        (10, [1, None, 8, 9, 10, 11, 12, None, 20]),
        (18, [1, None, 16, 17, 18, 19, 20]),
        (20, [1, None, 18, 19, 20]),
    ],
)
def test_page_window_shows_first_last_and_two_either_side_with_gaps(number, window):
    assert _page(number, count=200).page_window() == window


def test_page_window_of_a_capped_count_reaches_the_page_after_the_current_one():
    page = _page(30, count=100, capped=True, has_next=True)

    assert page.num_pages == 31
    assert page.page_window() == [1, None, 28, 29, 30, 31]


def test_list_page_offers_other_page_sizes_from_the_first_page(twelve_branches, settings, admin_user, pages):
    settings.AFTERSALES = {**settings.AFTERSALES, "PAGE_SIZE": 5, "PAGE_SIZES": (5, 10)}
    client = pages(admin_user)

    first = client.get("/org/branches/", {"page": 2, "q": ""}).content.decode()
    bigger = client.get("/org/branches/", {"page_size": 10}).context["page"]

    assert 'href="?q=&amp;page_size=10"' in first
    assert (bigger.page_size, len(bigger.items)) == (10, 10)


def test_home_page_counts_are_capped_like_the_lists(twelve_branches, count_limit, admin_user, pages):
    from aftersales.customers.tests.factories import CustomerFactory

    count_limit(10)
    CustomerFactory.create_batch(11, branch=twelve_branches[0])

    cards = {str(c["label"]): c["value"] for c in pages(admin_user).get("/").context["dashboard"]["cards"]}

    assert cards["客户"] == "10+"
