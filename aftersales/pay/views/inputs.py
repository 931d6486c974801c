"""Pages: manual pay inputs (e.g. 业绩奖) — a grid of a branch's employees for a month, saved in one go; the xlsx
template and its import (checked first, then saved all or nothing); and pay adjustments (corrections of a locked
month paid in a later one).

A month whose pay run is locked is closed: its grid is read-only and its inputs can no longer change.
"""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list
from aftersales.core.pagination import paginate, positive_int
from aftersales.core.xlsx import xlsx_response
from aftersales.pay import selectors
from aftersales.pay.forms import AdjustmentForm, InputImportForm, InputPickForm
from aftersales.pay.services import imports as import_services
from aftersales.pay.services.inputs import month_closed, month_parse, pay_adjustment_create

CELL = re.compile(r"^v-(\d+)-(\d+)$")


def _default_names() -> str:
    names = selectors.manual_input_names()
    return "、".join(names) if names else "业绩奖"


def _pick(request, data) -> tuple[InputPickForm, dict | None]:
    """The branch, month and input names the page is about, when given and valid."""
    form = InputPickForm(data, user=request.user, default_names=_default_names())
    if data is None or not form.is_valid():
        return form, None
    picked = {"branch": form.cleaned_data["branch"]}
    try:
        picked["month"] = month_parse(form.cleaned_data["month"])
        picked["names"] = import_services.names_parse(form.cleaned_data["names"])
    except ValidationError as exc:
        apply_form_errors(form, exc)
        return form, None
    return form, picked


def _query(picked: dict) -> str:
    return urlencode(
        {"branch": picked["branch"].pk, "month": f"{picked['month']:%Y-%m}", "names": "、".join(picked["names"])}
    )


def _grid(request, picked: dict, *, posted: dict | None = None, errors: dict | None = None) -> dict:
    """One page of the branch's employees with their values of each input (the posted text where re-shown)."""
    page = paginate(
        selectors.branch_employees(picked["branch"]),
        page=request.GET.get("page"),
        page_size=request.GET.get("page_size"),
    )
    names = picked["names"]
    values = selectors.input_values([e.pk for e in page.items], picked["month"], names)
    rows = []
    for employee in page.items:
        cells = []
        for index, name in enumerate(names):
            row = values.get((employee.pk, name))
            text = (posted or {}).get(employee.pk, {}).get(name)
            if text is None:
                text = "" if row is None else str(row.value)
            cells.append({"field": f"v-{employee.pk}-{index}", "name": name, "text": text, "saved": row})
        rows.append({"employee": employee, "cells": cells, "errors": (errors or {}).get(str(employee.pk), [])})
    return {
        "page": page,
        "rows": rows,
        "names": names,
        "branch": picked["branch"],
        "month": picked["month"],
        "closed": month_closed(picked["branch"].pk, picked["month"]),
        "query": _query(picked),
    }


def _posted_cells(request, names: list[str]) -> dict[int, dict[str, str]]:
    posted: dict[int, dict[str, str]] = {}
    for key, text in request.POST.items():
        match = CELL.match(key)
        if match and int(match.group(2)) < len(names):
            posted.setdefault(int(match.group(1)), {})[names[int(match.group(2))]] = text
    return posted


@perm_required("pay.view_payinput")
def input_list(request):
    """The grid: GET shows it, POST saves what changed (all of it, or nothing)."""
    source = request.POST if request.method == "POST" else (request.GET if "branch" in request.GET else None)
    form, picked = _pick(request, source)
    context = {
        "form": form,
        "known_names": selectors.manual_input_names(),
        "can_change": request.user.has_perm("pay.change_payinput"),
    }
    if picked is None:
        return render(request, "pay/input_list.html", context)
    if request.method == "POST":
        if not context["can_change"]:
            raise PermissionDenied
        posted = _posted_cells(request, picked["names"])
        try:
            saved = import_services.pay_inputs_grid_save(
                actor=request.user, branch=picked["branch"], month=picked["month"], names=picked["names"], posted=posted
            )
        except import_services.InputsNotSaved as exc:
            messages.error(request, _("Nothing was saved: correct the rows marked below."))
            context.update(_grid(request, picked, posted=posted, errors=exc.message_dict))
            return render(request, "pay/input_list.html", context)
        except Conflict as exc:
            messages.error(request, str(exc.message))
        else:
            if saved.employees:
                messages.success(
                    request,
                    ngettext(
                        "Saved the inputs of %(count)d employee.",
                        "Saved the inputs of %(count)d employees.",
                        saved.employees,
                    )
                    % {"count": saved.employees},
                )
            else:
                messages.info(request, _("Nothing had changed."))
        page = positive_int(request.POST.get("page"), 1)
        size = request.POST.get("page_size", "")
        extra = f"&page={page}" + (f"&page_size={size}" if size else "")
        return redirect(f"{reverse('pay:input_list')}?{_query(picked)}{extra}")
    context.update(_grid(request, picked))
    return render(request, "pay/input_list.html", context)


@perm_required("pay.view_payinput")
def input_template(request):
    """The xlsx template of a branch and month: 工号, 姓名, one column per input, with the values entered so far."""
    _form, picked = _pick(request, request.GET)
    if picked is None:
        messages.error(request, _("Choose a branch, a month and the inputs first."))
        return redirect("pay:input_list")
    headers = import_services.template_headers(picked["names"])
    rows = import_services.template_rows(branch=picked["branch"], month=picked["month"], names=picked["names"])
    filename = f"{_('pay-inputs')}-{picked['branch'].code}-{picked['month']:%Y-%m}.xlsx"
    return xlsx_response(filename, headers, rows, sheet_title=f"{picked['month']:%Y-%m}")


@perm_required("pay.change_payinput")
def input_import(request):
    """Upload a sheet: it is checked and shown row by row; nothing is saved until it is confirmed."""
    initial = {key: request.GET[key] for key in ("branch", "month") if request.GET.get(key)}
    form = InputImportForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    context = {"form": form, "example": import_services.template_headers(["业绩奖"])}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = import_services.pay_input_import_preview(
                actor=request.user, branch=data["branch"], month=data["month"], upload=data["file"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            return render(request, "pay/input_import_preview.html", {"result": result})
    return render(request, "pay/input_import.html", context)


@require_POST
@perm_required("pay.change_payinput")
def input_import_commit(request):
    token = request.POST.get("token", "")
    try:
        result = import_services.pay_input_import_commit(actor=request.user, token=token)
    except import_services.InputsNotSaved:
        result = import_services.pay_input_import_load(actor=request.user, token=token)
        messages.error(request, _("Nothing was imported: the rows below have errors now."))
        return render(request, "pay/input_import_preview.html", {"result": result}, status=409)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("pay:input_import")
    messages.success(
        request,
        _("Imported %(values)d values of %(rows)d employees.")
        % {"values": result.value_count, "rows": sum(1 for row in result.rows if row.values)},
    )
    query = _query({"branch": result.branch, "month": result.month, "names": result.names})
    return redirect(f"{reverse('pay:input_list')}?{query}")


# -- adjustments ------------------------------------------------------------------------------------------------------


@perm_required("pay.view_payadjustment")
def adjustment_list(request):
    get = request.GET
    month = ""
    if get.get("month"):
        try:
            month = month_parse(get["month"])
        except ValidationError:
            month = ""
    queryset = selectors.adjustment_list(
        user=request.user, branch=positive_int(get.get("branch"), None), month=month, q=get.get("q", "")
    )
    context = {"branches": selectors.visible_branches(request.user)}
    return render_list(request, "pay/adjustment_list.html", "pay/adjustment_list_table.html", queryset, context)


@perm_required("pay.add_payadjustment")
def adjustment_create(request):
    initial = {key: request.GET[key] for key in ("employee", "corrects", "month") if request.GET.get(key)}
    form = AdjustmentForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustment = pay_adjustment_create(
                actor=request.user,
                employee=data["employee"],
                month=data["month"],
                amount=data["amount"],
                reason=data["reason"],
                corrects=data["corrects"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except Conflict as exc:
            form.add_error("month", str(exc.message))
        else:
            messages.success(
                request,
                _("Adjustment of %(amount)s for %(name)s recorded; it is paid in the pay run of %(month)s.")
                % {"amount": adjustment.amount, "name": adjustment.employee.name, "month": f"{adjustment.month:%Y-%m}"},
            )
            if adjustment.corrects_id:
                return redirect(adjustment.corrects)
            return redirect("pay:adjustment_list")
    return render(request, "pay/adjustment_form.html", {"form": form})


urlpatterns = [
    path("inputs/", input_list, name="input_list"),
    path("inputs/template/", input_template, name="input_template"),
    path("inputs/import/", input_import, name="input_import"),
    path("inputs/import/commit/", input_import_commit, name="input_import_commit"),
    path("adjustments/", adjustment_list, name="adjustment_list"),
    path("adjustments/new/", adjustment_create, name="adjustment_create"),
]
