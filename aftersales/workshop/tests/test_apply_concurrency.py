"""Two dispatchers applying at the same second: applies of one branch queue behind each other, so a technician's
free time is taken once (PostgreSQL row locks; SQLite serialises writers anyway)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from aftersales.core.testing import make_person
from aftersales.workshop.models import JobSlot
from aftersales.workshop.services import dispatch


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_applies_at_once_cannot_give_one_technician_two_jobs_at_the_same_time(workshop):
    wang = workshop.technician_with({"机修": 3}, name="王师傅")
    other_dispatcher = make_person(role="dispatcher", branch=workshop.branch)
    _order_a, (job_a,) = workshop.order_with({"hours": "2", "skill": "机修"})
    _order_b, (job_b,) = workshop.order_with({"hours": "2", "skill": "机修"})
    start = workshop.at(workshop.tomorrow, 9)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def apply(actor, job):
        try:
            barrier.wait(timeout=30)
            dispatch.dispatch_apply(actor=actor, assignments=[{"line": job.pk, "technician": wang.pk, "start": start}])
            outcomes.append("applied")
        except ValidationError:
            outcomes.append("refused")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=apply, args=(workshop.dispatcher, job_a)),
        threading.Thread(target=apply, args=(other_dispatcher, job_b)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sorted(outcomes) == ["applied", "refused"]
    assert JobSlot.objects.filter(start=start).count() == 1
