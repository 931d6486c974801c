"""Helpers shared by the pay page tests: a supervisor ready to be paid, page text, the roles holding a permission,
and xlsx files built in memory."""

import html as html_lib
import io
import re

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from aftersales.org.roles import ROLES
from aftersales.pay.services.inputs import pay_inputs_set
from aftersales.pay.services.runs import pay_run_act, pay_run_create

MONTH = "2026-11"


def ready(pay_shop, fake_metric, *, inspections=25, score="88", bonus="1000.00", name=""):
    """A supervisor of the shop's branch with a confirmed score, 业绩奖 and a count of inspections (3950.00)."""
    supervisor = pay_shop.supervisor(name)
    pay_shop.confirm_score(supervisor, score)
    pay_inputs_set(actor=pay_shop.hr, employee=supervisor, month=MONTH, values={"业绩奖": bonus})
    fake_metric("售后检查单数", {supervisor: inspections})
    return supervisor


def computed_run(pay_shop, fake_metric, **kwargs):
    supervisor = ready(pay_shop, fake_metric, **kwargs)
    run = pay_run_create(actor=pay_shop.hr, branch=pay_shop.branch, period=MONTH)
    return run, supervisor


def approved_run(pay_shop, fake_metric, **kwargs):
    run, supervisor = computed_run(pay_shop, fake_metric, **kwargs)
    return pay_run_act(actor=pay_shop.manager, run=run, action="approve"), supervisor


def locked_run(pay_shop, fake_metric, **kwargs):
    run, supervisor = approved_run(pay_shop, fake_metric, **kwargs)
    return pay_run_act(actor=pay_shop.hr, run=run, action="lock"), supervisor


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def plain(response) -> str:
    """The page's text without tags and with runs of white space as one space."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def allowed(*perms: str) -> set[str]:
    """The roles whose permissions include every one of `perms`."""
    return {code for code, role in ROLES.items() if set(perms) <= role.permissions}


def toasts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def xlsx_file(rows: list[list], name: str = "inputs.xlsx"):
    """An uploaded xlsx file with these rows (the first is the header)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def xlsx_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def english(settings):
    """Pages and direct calls in English (the source language), whatever translations exist."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
