"""Pagination for list pages and the API.

Pages count the matching rows only up to a limit (`COUNT_LIMIT`, 1000): beyond it they show
"1000+" and still let the user page on. Counting 100,000 rows on every page view costs more than
the page itself, and nobody pages that far: they search. The API counts exactly.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet


def positive_int(value: Any, default: int, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if number < 1:
        return default
    return min(number, maximum) if maximum else number


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    page_size: int
    count: int
    count_capped: bool
    has_next: bool

    @property
    def sizes(self) -> tuple[int, ...]:
        """The page sizes a user may pick on list pages."""
        return tuple(settings.AFTERSALES["PAGE_SIZES"])

    @property
    def count_display(self) -> str:
        """The count as shown: exact, or "1000+" when counting stopped at the limit."""
        return f"{self.count}+" if self.count_capped else str(self.count)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.items else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.items)

    @property
    def num_pages(self) -> int:
        """Pages known to exist (a lower bound when the count is capped)."""
        pages = max(1, -(-self.count // self.page_size))
        return max(pages, self.number + (1 if self.has_next else 0))

    def page_window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show, with None where numbers are left out: [1, None, 4, 5, 6, None, 20]."""
        last = self.num_pages
        wanted = {1, last, *range(self.number - around, self.number + around + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= last)
        window: list[int | None] = []
        for n in numbers:
            if window and n - window[-1] > 1:
                window.append(None)
            window.append(n)
        return window


def capped_count(queryset: QuerySet) -> tuple[int, bool]:
    """How many rows match, counting no further than COUNT_LIMIT: (count, capped).

    The ordering is dropped: how many of the first rows exist does not depend on their order, and
    without it PostgreSQL needs no sort or index walk just to count.
    """
    limit = settings.AFTERSALES["COUNT_LIMIT"]
    count = queryset.order_by()[: limit + 1].count()
    return min(count, limit), count > limit


def count_display(queryset: QuerySet) -> str:
    """A capped count as shown to people: "137", or "1000+"."""
    count, capped = capped_count(queryset)
    return f"{count}+" if capped else str(count)


def paginate(queryset: QuerySet, *, page: Any = 1, page_size: Any = None, exact_count: bool = False) -> Page:
    config = settings.AFTERSALES
    size = positive_int(page_size, config["PAGE_SIZE"], maximum=200)
    number = positive_int(page, 1)
    count, capped = (queryset.count(), False) if exact_count else capped_count(queryset)
    if not capped:
        last_page = max(1, -(-count // size))
        number = min(number, last_page)
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(
        items=rows[:size], number=number, page_size=size, count=count, count_capped=capped, has_next=len(rows) > size
    )
