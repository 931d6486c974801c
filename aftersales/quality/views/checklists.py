"""Pages: checklists of the service standard — the list, one checklist with its items and history, creating and
editing one (its items as rows: add, change, take out of use, remove one never used), and the branch's fine split."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required
from aftersales.quality import selectors, services
from aftersales.quality.choices import FineSplit
from aftersales.quality.forms import (
    BLANK_ROWS_EDIT,
    BLANK_ROWS_NEW,
    ChecklistForm,
    ItemFormSet,
    SettingsForm,
    settings_branches,
)
from aftersales.quality.models import DEFAULT_FINE, QualitySettings

VIEW = "quality.view_audit"
ITEM_ERROR = re.compile(r"^items\.(\d+)\.(code|text)$")


@perm_required(VIEW)
def checklist_list(request):
    context = {"checklists": list(selectors.checklist_list(user=request.user))}
    return render(request, "quality/checklist_list.html", context)


def _items_history_label():
    return _("Items"), lambda value: value


@perm_required(VIEW)
def checklist_detail(request, pk):
    checklist = selectors.checklist_detail(user=request.user, pk=pk)
    context = {
        "checklist": checklist,
        "items": list(checklist.items.all()),
        "history": audit_history(checklist, extra_fields={"items": _items_history_label()}),
    }
    return render(request, "quality/checklist_detail.html", context)


def _rows(formset) -> tuple[list[dict], list[int]]:
    """The filled rows that are not marked for removal, as the service takes them, and each one's form index."""
    rows, indexes = [], []
    for index, form in enumerate(formset.forms):
        if form.is_blank() or form.cleaned_data.get("DELETE"):
            continue
        data = form.cleaned_data
        rows.append({"code": data.get("code", ""), "text": data.get("text", ""), "active": data.get("active", False)})
        indexes.append(index)
    return rows, indexes


def _apply_errors(form, formset, indexes: list[int], exc: ValidationError) -> None:
    """The service's errors beside the header's fields, or beside the item row they name (`items.<row>.<field>`)."""
    header = {}
    for key, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.error_list)]:
        match = ITEM_ERROR.match(key)
        if match and int(match.group(1)) < len(indexes):
            row = formset.forms[indexes[int(match.group(1))]]
            for error in errors:
                row.add_error(match.group(2), error)
        elif key == "items":
            header.setdefault("__all__", []).extend(errors)
        else:
            header.setdefault(key, []).extend(errors)
    if header:
        apply_form_errors(form, ValidationError(header))


def _editor(request, *, checklist=None):
    editing = checklist is not None
    title = _("Edit checklist %(name)s") % {"name": checklist.name} if editing else _("New checklist")
    if request.method != "POST":
        if editing:
            form = ChecklistForm(
                editing=True,
                initial={
                    "name": checklist.name,
                    "fine_amount": checklist.fine_amount,
                    "is_default": checklist.is_default,
                    "active": checklist.active,
                },
            )
            initial = [{"code": i.code, "text": i.text, "active": i.active} for i in checklist.items.all()]
            formset = ItemFormSet(prefix="items", initial=initial + [{"active": True}] * BLANK_ROWS_EDIT)
        else:
            form = ChecklistForm(initial={"fine_amount": DEFAULT_FINE, "active": True})
            formset = ItemFormSet(prefix="items", initial=[{"active": True}] * BLANK_ROWS_NEW)
        return _editor_page(request, form, formset, checklist, title)
    form = ChecklistForm(request.POST, editing=editing)
    formset = ItemFormSet(request.POST, prefix="items")
    header_valid, rows_valid = form.is_valid(), formset.is_valid()
    if not (header_valid and rows_valid):
        return _editor_page(request, form, formset, checklist, title)
    rows, indexes = _rows(formset)
    data = form.cleaned_data
    try:
        if editing:
            saved = services.checklist_update(
                actor=request.user,
                checklist=checklist,
                name=data["name"],
                fine_amount=data["fine_amount"],
                is_default=data["is_default"],
                active=data["active"],
                items=rows,
            )
        else:
            saved = services.checklist_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                fine_amount=data["fine_amount"],
                is_default=data["is_default"],
                active=data["active"],
                items=rows,
            )
    except ValidationError as exc:
        _apply_errors(form, formset, indexes, exc)
        return _editor_page(request, form, formset, checklist, title)
    except Conflict as exc:
        form.add_error(None, str(exc.message))
        return _editor_page(request, form, formset, checklist, title)
    messages.success(request, _("Checklist saved."))
    return redirect(saved)


def _editor_page(request, form, formset, checklist, title):
    context = {"form": form, "formset": formset, "checklist": checklist, "title": title}
    return render(request, "quality/checklist_form.html", context)


@perm_required("quality.add_checklist")
def checklist_create(request):
    return _editor(request)


@login_required
def checklist_edit(request, pk):
    checklist = selectors.checklist_detail(user=request.user, pk=pk)
    require_perm(request.user, "quality.change_checklist")
    return _editor(request, checklist=checklist)


@perm_required("quality.change_qualitysettings")
def quality_settings(request):
    """Each branch's fine split, and the form that sets one."""
    branches = list(settings_branches(request.user))
    chosen = {s.branch_id: s.fine_split for s in QualitySettings.objects.filter(branch__in=[b.pk for b in branches])}
    rows = [(branch, chosen.get(branch.pk, FineSplit.EQUAL)) for branch in branches]
    initial = {}
    if len(branches) == 1:
        initial = {"branch": branches[0].pk, "fine_split": rows[0][1]}
    form = SettingsForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.quality_settings_set(
                actor=request.user, branch=form.cleaned_data["branch"], fine_split=form.cleaned_data["fine_split"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request, _("The fine split of %(branch)s is saved.") % {"branch": form.cleaned_data["branch"].name}
            )
            return redirect("quality:settings")
    labels = dict(FineSplit.choices)
    context = {"form": form, "rows": [(branch, labels[split]) for branch, split in rows]}
    return render(request, "quality/settings.html", context)


urlpatterns = [
    path("checklists/", checklist_list, name="checklist_list"),
    path("checklists/new/", checklist_create, name="checklist_create"),
    path("checklists/<int:pk>/", checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/edit/", checklist_edit, name="checklist_edit"),
    path("settings/", quality_settings, name="settings"),
]
