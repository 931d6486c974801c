"""Pages: appraisals (考核) — the list for HR and managers, opening one, its page with the steps of
`APPRAISAL_TRANSITIONS` (self-assessment, the manager's scoring, HR's confirmation or return), "my appraisals",
and the appraisal forms (考核表) with their weighted items."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import form_page, perm_required, pick, render_list
from aftersales.core.pagination import positive_int
from aftersales.pay.choices import APPRAISAL_TRANSITIONS, AppraisalStatus, ItemSource, PeriodKind
from aftersales.pay.forms_appraisals import (
    AppraisalCreateForm,
    AppraisalFormForm,
    ItemFormSet,
    action_form,
)
from aftersales.pay.metrics import METRICS
from aftersales.pay.models import Appraisal, AppraisalForm
from aftersales.pay.services import appraisals as services

#: Rows added to the items table by "Add rows", and the empty rows of a new form.
BLANK_ROWS = 3


@dataclass(frozen=True)
class StepStyle:
    confirm: object = ""
    style: str = "btn-primary"


STEP_STYLES = {
    "self_assess": StepStyle(),
    "review": StepStyle(),
    "confirm": StepStyle(gettext_lazy("Confirm this score? A confirmed appraisal is locked and pay runs use it.")),
    "return": StepStyle(gettext_lazy("Send the appraisal back to the manager?"), "btn-danger"),
}


# -- appraisals -------------------------------------------------------------------------------------------------------


def _filters(request) -> dict:
    get = request.GET
    return {
        "period": get.get("period", "").strip(),
        "kind": get.get("kind", ""),
        "status": get.get("status", ""),
        "q": get.get("q", "").strip(),
        "employee": positive_int(get.get("employee"), None),
    }


@perm_required("pay.view_appraisal")
def appraisal_list(request):
    queryset = services.appraisal_list(user=request.user, **_filters(request))
    context = {"statuses": AppraisalStatus.choices, "kinds": PeriodKind.choices}
    return render_list(request, "pay/appraisal_list.html", "pay/appraisal_list_table.html", queryset, context)


@login_required
def my_appraisals(request):
    """The signed-in employee's own appraisals, whatever their role."""
    queryset = (
        Appraisal.objects.for_user(request.user)
        .filter(employee__user=request.user)
        .order_by("-period_start", "kind", "-id")
    )
    context = {"self_assess_statuses": [str(s) for s in APPRAISAL_TRANSITIONS["self_assess"].sources]}
    return render_list(request, "pay/appraisal_mine.html", "pay/appraisal_mine_table.html", queryset, context)


@perm_required("pay.add_appraisal")
def appraisal_create(request):
    initial = {key: request.GET[key] for key in ("employee", "kind", "period") if request.GET.get(key)}
    form = AppraisalCreateForm(request.POST or None, user=request.user, initial=initial)
    return form_page(
        request,
        form,
        lambda data: services.appraisal_create(
            actor=request.user, **pick(data, ("employee", "period", "kind", "form", "score"))
        ),
        success=_("Appraisal opened."),
        title=_("Open an appraisal"),
        cancel="pay:appraisal_list",
    )


def _item_rows(appraisal: Appraisal) -> list[dict]:
    rows = []
    for number, item in enumerate(appraisal.items):
        metric = METRICS.get(item.get("metric") or "")
        rows.append(
            {
                **item,
                "number": number,
                "is_metric": item.get("source") == ItemSource.METRIC,
                "source_label": ItemSource(item["source"]).label if item.get("source") in ItemSource.values else "",
                "unit": metric.unit if metric else "",
            }
        )
    return rows


def _page(request, appraisal: Appraisal, *, bound: dict | None = None, status: int = 200):
    """The appraisal page; `bound` holds a posted step form that came back with errors."""
    bound = bound or {}
    panel = []
    for name in services.appraisal_actions(user=request.user, appraisal=appraisal):
        form = bound.get(name) or action_form(name, appraisal)
        style = STEP_STYLES[name]
        panel.append(
            {
                "name": name,
                "label": APPRAISAL_TRANSITIONS[name].label,
                "form": form,
                "has_fields": bool(form.fields),
                "confirm": style.confirm,
                "style": style.style,
                "open": name in bound or name == "self_assess",
            }
        )
    context = {
        "appraisal": appraisal,
        "items": _item_rows(appraisal),
        "actions": panel,
        "own": appraisal.employee.user_id == request.user.pk,
        "history": audit_history(appraisal),
    }
    return render(request, "pay/appraisal_detail.html", context, status=status)


@login_required
def appraisal_detail(request, pk):
    return _page(request, services.appraisal_get(user=request.user, pk=pk))


@require_POST
@login_required
def appraisal_action(request, pk, action):
    """One step of the appraisal (the buttons of its page), with its form's input."""
    appraisal = services.appraisal_get(user=request.user, pk=pk)
    if action not in APPRAISAL_TRANSITIONS:
        raise Http404
    form = action_form(action, appraisal, data=request.POST)
    if not form.is_valid():
        return _page(request, appraisal, bound={action: form})
    try:
        moved = services.appraisal_act(
            actor=request.user, appraisal=appraisal, action=action, data=form.data_for_service()
        )
    except ValidationError as exc:
        apply_form_errors(form, exc, field_map=form.field_map)
        return _page(request, appraisal, bound={action: form})
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect(appraisal)
    messages.success(
        request,
        _("%(action)s: done. The appraisal is %(status)s.")
        % {"action": APPRAISAL_TRANSITIONS[action].label, "status": moved.get_status_display()},
    )
    return redirect(appraisal)


# -- appraisal forms --------------------------------------------------------------------------------------------------


@perm_required("pay.view_appraisalform")
def appraisal_form_list(request):
    queryset = (
        AppraisalForm.objects.for_user(request.user).select_related("position").annotate(item_count=Count("items"))
    )
    kind = request.GET.get("kind", "")
    if kind:
        queryset = queryset.filter(kind=kind)
    active = request.GET.get("active", "")
    if active in ("1", "0"):
        queryset = queryset.filter(active=active == "1")
    term = request.GET.get("q", "").strip()
    if term:
        queryset = queryset.filter(name__icontains=term)
    context = {"kinds": PeriodKind.choices}
    return render_list(
        request,
        "pay/appraisal_form_list.html",
        "pay/appraisal_form_list_table.html",
        queryset.order_by("-active", "name", "pk"),
        context,
    )


def _form_object(request, pk) -> AppraisalForm:
    return get_object_or_404(AppraisalForm.objects.for_user(request.user).select_related("position"), pk=pk)


@perm_required("pay.view_appraisalform")
def appraisal_form_detail(request, pk):
    form = _form_object(request, pk)
    items = list(form.items.all())
    for item in items:
        metric = METRICS.get(item.metric)
        item.unit = metric.unit if metric else ""
    context = {
        "object": form,
        "items": items,
        "total_weight": sum((item.weight for item in items), start=0),
        "history": audit_history(form),
    }
    return render(request, "pay/appraisal_form_detail.html", context)


def _items_of(formset) -> tuple[list[dict], list[int]]:
    """The filled rows of the items table as the service takes them, and each one's row in the table."""
    items, rows = [], []
    for row, item_form in enumerate(formset.forms):
        if item_form.is_blank():
            continue
        data = item_form.cleaned_data
        items.append({key: data.get(key) or "" for key in ("name", "weight", "source", "metric", "rule")})
        rows.append(row)
    return items, rows


def _editor(request, *, obj: AppraisalForm | None, title: str, save):
    """The form editor: the form's fields and its items table; "Add rows" redraws it with more empty rows."""
    if obj is not None:
        header_initial = {"name": obj.name, "position": obj.position_id, "kind": obj.kind, "active": obj.active}
        rows_initial = [
            {"name": i.name, "weight": i.weight, "source": i.source, "metric": i.metric, "rule": i.rule}
            for i in obj.items.all()
        ]
    else:
        header_initial, rows_initial = {}, []
    if request.method != "POST":
        header = AppraisalFormForm(initial=header_initial)
        formset = ItemFormSet(prefix="items", initial=rows_initial + [{}] * (BLANK_ROWS if obj is None else 1))
        return _editor_page(request, header, formset, obj, title)
    header = AppraisalFormForm(request.POST)
    formset = ItemFormSet(request.POST, prefix="items")
    header_valid, rows_valid = header.is_valid(), formset.is_valid()
    if "more" in request.POST and rows_valid:
        items, _rows = _items_of(formset)
        formset = ItemFormSet(prefix="items", initial=items + [{}] * BLANK_ROWS)
        typed = {name: request.POST.get(name, "") for name in ("name", "position", "kind")}
        header = AppraisalFormForm(initial={**typed, "active": "active" in request.POST})  # no errors yet
        return _editor_page(request, header, formset, obj, title)
    if header_valid and rows_valid:
        items, rows = _items_of(formset)
        data = header.cleaned_data
        try:
            saved = save(
                name=data["name"], position=data["position"], kind=data["kind"], active=data["active"], items=items
            )
        except ValidationError as exc:
            _apply_editor_errors(header, formset, exc, rows)
        else:
            messages.success(request, _("Appraisal form saved."))
            return redirect(saved)
    return _editor_page(request, header, formset, obj, title)


def _apply_editor_errors(header, formset, exc: ValidationError, rows: list[int]) -> None:
    """The service names an item's field `items.N.field` (N counts the filled rows): shown beside that cell."""
    other = {}
    for key, messages_ in exc.message_dict.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and int(parts[1]) < len(rows):
            item_form = formset.forms[rows[int(parts[1])]]
            for message in messages_:
                item_form.add_error(parts[2] if parts[2] in item_form.fields else None, message)
        elif key == "items":
            for message in messages_:
                header.add_error(None, message)
        else:
            other[key] = messages_
    if other:
        apply_form_errors(header, ValidationError(other))


def _editor_page(request, header, formset, obj, title, status=200):
    context = {
        "form": header,
        "formset": formset,
        "object": obj,
        "title": title,
        "metrics": [(key, metric) for key, metric in METRICS.items()],
    }
    return render(request, "pay/appraisal_form_edit.html", context, status=status)


@perm_required("pay.add_appraisalform")
def appraisal_form_create(request):
    return _editor(
        request,
        obj=None,
        title=_("New appraisal form"),
        save=lambda **data: services.appraisal_form_create(actor=request.user, **data),
    )


@perm_required("pay.change_appraisalform")
def appraisal_form_edit(request, pk):
    obj = _form_object(request, pk)
    return _editor(
        request,
        obj=obj,
        title=_("Edit %(name)s") % {"name": obj.name},
        save=lambda **data: services.appraisal_form_update(actor=request.user, form=obj, **data),
    )


urlpatterns = [
    path("appraisals/", appraisal_list, name="appraisal_list"),
    path("appraisals/new/", appraisal_create, name="appraisal_create"),
    path("appraisals/mine/", my_appraisals, name="my_appraisals"),
    path("appraisals/<int:pk>/", appraisal_detail, name="appraisal_detail"),
    path("appraisals/<int:pk>/actions/<str:action>/", appraisal_action, name="appraisal_action"),
    path("appraisal-forms/", appraisal_form_list, name="appraisal_form_list"),
    path("appraisal-forms/new/", appraisal_form_create, name="appraisal_form_create"),
    path("appraisal-forms/<int:pk>/", appraisal_form_detail, name="appraisal_form_detail"),
    path("appraisal-forms/<int:pk>/edit/", appraisal_form_edit, name="appraisal_form_edit"),
]
