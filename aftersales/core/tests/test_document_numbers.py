"""Document numbers: `<PREFIX>-<BRANCH>-<YYYYMMDD>-<NNNN>`, one counter per prefix, branch and day."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from aftersales.core.models import DocumentSequence
from aftersales.core.numbers import document_number_next
from aftersales.org.models import Branch

DAY = datetime.date(2026, 11, 26)


def test_first_number_of_the_day_has_the_documented_format(branch):
    assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-0001"


def test_numbers_increase_by_one_within_a_branch_and_day(branch):
    numbers = [document_number_next(prefix="WO", branch=branch, day=DAY) for _ in range(3)]

    assert numbers == ["WO-BJ01-20261126-0001", "WO-BJ01-20261126-0002", "WO-BJ01-20261126-0003"]


def test_numbers_restart_on_the_next_day(branch):
    document_number_next(prefix="WO", branch=branch, day=DAY)
    document_number_next(prefix="WO", branch=branch, day=DAY)

    assert document_number_next(prefix="WO", branch=branch, day=DAY + datetime.timedelta(days=1)) == (
        "WO-BJ01-20261127-0001"
    )
    assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-0003"


def test_each_branch_has_its_own_counter(branch, other_branch):
    document_number_next(prefix="WO", branch=branch, day=DAY)
    document_number_next(prefix="WO", branch=branch, day=DAY)

    assert document_number_next(prefix="WO", branch=other_branch, day=DAY) == "WO-SH01-20261126-0001"
    assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-0003"


def test_each_prefix_has_its_own_counter(branch):
    document_number_next(prefix="WO", branch=branch, day=DAY)

    assert document_number_next(prefix="PO", branch=branch, day=DAY) == "PO-BJ01-20261126-0001"
    assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-0002"


def test_without_a_day_the_local_date_in_shanghai_is_used(branch):
    number = document_number_next(prefix="WO", branch=branch)

    assert number == f"WO-BJ01-{timezone.localdate():%Y%m%d}-0001"


def test_a_rolled_back_transaction_gives_its_number_back(branch):
    document_number_next(prefix="WO", branch=branch, day=DAY)

    with pytest.raises(RuntimeError), transaction.atomic():
        assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-0002"
        raise RuntimeError("the document could not be saved")

    assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-0002"


def test_the_first_number_of_a_day_rolled_back_leaves_no_counter(branch):
    with pytest.raises(RuntimeError), transaction.atomic():
        document_number_next(prefix="WO", branch=branch, day=DAY)
        raise RuntimeError

    assert not DocumentSequence.objects.filter(branch=branch, day=DAY).exists()
    assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-0001"


def test_numbers_past_9999_keep_counting(branch):
    DocumentSequence.objects.create(prefix="WO", branch=branch, day=DAY, last=9999)

    assert document_number_next(prefix="WO", branch=branch, day=DAY) == "WO-BJ01-20261126-10000"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_get_the_same_number_and_leave_no_gap():
    """8 workers, each with its own connection, take 12 numbers each in their own transactions, all at once."""
    workers, per_worker = 8, 12
    branch = Branch.objects.create(code="BJ01", name="北京朝阳店", kind="store")
    barrier = threading.Barrier(workers)
    taken: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work():
        try:
            barrier.wait(timeout=30)
            for _ in range(per_worker):
                with transaction.atomic():
                    number = document_number_next(prefix="WO", branch=branch, day=DAY)
                    # hold the transaction open a moment so that others queue behind the row lock
                    Branch.objects.filter(pk=branch.pk).exists()
                with lock:
                    taken.append(number)
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert len(taken) == workers * per_worker
    assert len(set(taken)) == len(taken), "a number was handed out twice"
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in taken)
    assert sequence == list(range(1, workers * per_worker + 1))
    assert DocumentSequence.objects.get(prefix="WO", branch=branch, day=DAY).last == workers * per_worker
