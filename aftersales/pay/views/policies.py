"""Pages: pay policies (薪酬方案) — the list, a policy's page (its sheet, lines, inputs with their sources, a "try it"
box and the history), the editor where HR pastes the policy as written and says where each input comes from; and
the piece rates (计件单价).

The editor's "Check" button reads the sheet and redraws the inputs' rows (htmx: just that part; without
JavaScript: the whole page, nothing saved). Saving goes through `policy_create` / `policy_update`, whose errors
come back beside the fields (the sheet's naming the line and column).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list
from aftersales.core.pagination import positive_int
from aftersales.pay import selectors
from aftersales.pay.choices import APPRAISAL_INPUTS, PAR_SCORE, InputSource, PeriodKind
from aftersales.pay.forms import BindingForm, PieceRateForm, PolicyForm, TryForm, binding_initial
from aftersales.pay.formula import FormulaError
from aftersales.pay.metrics import METRICS
from aftersales.pay.models import PayPolicy, PieceRate
from aftersales.pay.services.policies import binding_default, piece_rate_set, policy_create, policy_update, sheet_parse

# -- list and detail --------------------------------------------------------------------------------------------------


@perm_required("pay.view_paypolicy")
def policy_list(request):
    get = request.GET
    queryset = selectors.policy_list(
        user=request.user,
        q=get.get("q", ""),
        position=positive_int(get.get("position"), None),
        kind=get.get("kind", ""),
        active=get.get("active", ""),
    )
    context = {"kinds": PeriodKind.choices}
    return render_list(request, "pay/policy_list.html", "pay/policy_list_table.html", queryset, context)


def _try_defaults(policy: PayPolicy) -> dict:
    """What the "try it" box starts with: the constants, par for an appraisal score, 0 for the rest."""
    defaults = {}
    for name, binding in policy.bindings.items():
        if binding.get("source") == InputSource.CONSTANT:
            defaults[name] = binding.get("value")
        elif binding.get("source") == InputSource.APPRAISAL:
            defaults[name] = PAR_SCORE
        else:
            defaults[name] = 0
    return defaults


def _try(request, policy: PayPolicy) -> dict:
    """The "try it" box: bound to the query when it was submitted; its lines' values when they can be computed."""
    try:
        sheet = sheet_parse(policy.sheet)
    except FormulaError as exc:
        return {"try_form": None, "try_error": str(exc), "try_results": None}
    names = sorted(sheet.inputs)
    submitted = "try" in request.GET
    form = TryForm(request.GET if submitted else None, names=names, defaults=_try_defaults(policy))
    context = {"try_form": form, "try_error": "", "try_results": None, "try_submitted": submitted}
    if submitted and not form.is_valid():
        context["try_error"] = _("Enter a number for each input.")
    elif submitted:
        try:
            values = sheet.evaluate(form.values())
        except FormulaError as exc:
            context["try_error"] = str(exc)
        else:
            context["try_results"] = [
                {
                    "name": line.name,
                    "formula": line.text.strip(),
                    "value": values[line.name],
                    "total": line.name == policy.total,
                }
                for line in sheet.lines
            ]
    return context


@perm_required("pay.view_paypolicy")
def policy_detail(request, pk):
    policy = selectors.policy_get(user=request.user, pk=pk)
    try_context = _try(request, policy)
    if getattr(request, "htmx", False) and "try" in request.GET:
        return render(request, "pay/policy_try.html", {"policy": policy, **try_context})
    try:
        lines = [
            {"number": line.number, "name": line.name, "formula": line.text.strip()}
            for line in sheet_parse(policy.sheet).lines
        ]
    except FormulaError:
        lines = []
    context = {
        "policy": policy,
        "lines": lines,
        "inputs": selectors.policy_inputs(policy),
        "metrics": selectors.metric_rows(),
        "history": audit_history(policy),
        **try_context,
    }
    return render(request, "pay/policy_detail.html", context)


# -- the editor -------------------------------------------------------------------------------------------------------

BINDING_KEYS = ("source", "key", "value")


def _binding_rows(request, *, sheet_text: str, kind: str, stored: dict | None) -> tuple[list, str, list[str]]:
    """(the inputs' binding forms, the sheet's problem or "", the sheet's line names).

    Each input of the sheet gets a row: what the page posted for that name, else the stored binding, else the
    default (a metric or appraisal score by its name, a manual input otherwise).
    """
    try:
        sheet = sheet_parse(sheet_text or "")
    except FormulaError as exc:
        return [], str(exc), []
    posted: dict[str, dict] = {}
    if request.method == "POST":
        for index in range(positive_int(request.POST.get("bindings-count"), 0, 200)):
            prefix = f"b{index}"
            name = request.POST.get(f"{prefix}-name", "")
            if name:
                posted[name] = {key: request.POST.get(f"{prefix}-{key}", "") for key in BINDING_KEYS}
    rows = []
    for index, name in enumerate(sorted(sheet.inputs)):
        values = posted.get(name) or binding_initial(name, (stored or {}).get(name) or binding_default(name, kind))
        prefix = f"b{index}"
        data = {f"{prefix}-name": name, **{f"{prefix}-{key}": values.get(key, "") for key in BINDING_KEYS}}
        form = BindingForm(data, prefix=prefix)
        form.input_name = name
        form.default_label = selectors.binding_label(binding_default(name, kind))
        rows.append(form)
    return rows, "", list(sheet.names)


def _bindings_of(rows) -> tuple[dict, list[str]]:
    """The bindings the rows say, and the rows' own problems."""
    bindings, problems = {}, []
    for form in rows:
        if form.is_valid():
            bindings[form.input_name] = form.binding()
        else:
            problems.append(_("“%(name)s”: choose where it comes from.") % {"name": form.input_name})
    return bindings, problems


def _editor_context(form, rows, sheet_error, line_names, *, obj, title, binding_errors=(), checked=False) -> dict:
    return {
        "form": form,
        "rows": rows,
        "sheet_error": sheet_error,
        "line_names": line_names,
        "object": obj,
        "title": title,
        "binding_errors": list(binding_errors),
        "checked": checked,
        "metrics": selectors.metric_rows(),
        "metric_keys": list(METRICS),
        "appraisal_keys": list(APPRAISAL_INPUTS),
        "sources": InputSource.choices,
    }


def _editor(request, *, obj: PayPolicy | None, title: str):
    if obj is not None:
        initial = {
            "code": obj.code,
            "name": obj.name,
            "position": obj.position_id,
            "kind": obj.kind,
            "sheet": obj.sheet,
            "total": obj.total,
            "active": obj.active,
        }
    else:
        initial = {"kind": PeriodKind.MONTHLY, "active": True}
    editing = obj is not None
    stored = obj.bindings if obj is not None else None
    if request.method != "POST":
        form = PolicyForm(initial=initial, editing=editing)
        rows, sheet_error, line_names = (
            _binding_rows(request, sheet_text=obj.sheet, kind=obj.kind, stored=stored) if obj else ([], "", [])
        )
        return render(
            request,
            "pay/policy_form.html",
            _editor_context(form, rows, sheet_error, line_names, obj=obj, title=title),
        )
    form = PolicyForm(request.POST, initial=initial, editing=editing)
    kind = request.POST.get("kind") if request.POST.get("kind") in PeriodKind.values else PeriodKind.MONTHLY
    rows, sheet_error, line_names = _binding_rows(
        request, sheet_text=request.POST.get("sheet", ""), kind=kind, stored=stored
    )
    checking = "check" in request.POST
    valid = form.is_valid()
    if checking or not valid:
        return render(
            request,
            "pay/policy_form.html",
            _editor_context(form, rows, sheet_error, line_names, obj=obj, title=title, checked=checking),
        )
    bindings, problems = _bindings_of(rows)
    if problems:
        return render(
            request,
            "pay/policy_form.html",
            _editor_context(form, rows, sheet_error, line_names, obj=obj, title=title, binding_errors=problems),
        )
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "position": data["position"],
        "kind": data["kind"],
        "sheet": data["sheet"],
        "total": data["total"],
        "bindings": bindings,
        "active": data["active"],
    }
    binding_errors = []
    try:
        if obj is None:
            saved = policy_create(actor=request.user, code=data["code"], **fields)
        else:
            saved = policy_update(actor=request.user, policy=obj, **fields)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            binding_errors = exc.message_dict.get("bindings", [])
            others = {key: value for key, value in exc.error_dict.items() if key != "bindings"}
            if others:
                apply_form_errors(form, ValidationError(others))
        else:
            form.add_error(None, exc)
    except Conflict as exc:
        form.add_error(None, str(exc.message))
    else:
        messages.success(request, _("Pay policy saved."))
        return redirect(saved)
    return render(
        request,
        "pay/policy_form.html",
        _editor_context(form, rows, sheet_error, line_names, obj=obj, title=title, binding_errors=binding_errors),
    )


@perm_required("pay.add_paypolicy")
def policy_create_view(request):
    return _editor(request, obj=None, title=_("New pay policy"))


@perm_required("pay.change_paypolicy")
def policy_edit(request, pk):
    policy = selectors.policy_get(user=request.user, pk=pk)
    return _editor(request, obj=policy, title=_("Edit %(name)s") % {"name": policy.name})


@require_POST
@perm_required("pay.view_paypolicy")
def policy_check(request):
    """htmx: read the posted sheet and answer its inputs' rows (and the sheet's problem, beside the sheet)."""
    if not (request.user.has_perm("pay.add_paypolicy") or request.user.has_perm("pay.change_paypolicy")):
        raise PermissionDenied
    stored = None
    pk = positive_int(request.POST.get("policy"), None)
    if pk:
        stored = selectors.policy_get(user=request.user, pk=pk).bindings
    kind = request.POST.get("kind") if request.POST.get("kind") in PeriodKind.values else PeriodKind.MONTHLY
    rows, sheet_error, line_names = _binding_rows(
        request, sheet_text=request.POST.get("sheet", ""), kind=kind, stored=stored
    )
    context = {
        "rows": rows,
        "sheet_error": sheet_error,
        "line_names": line_names,
        "checked": True,
        "oob": True,
        "metric_keys": list(METRICS),
        "appraisal_keys": list(APPRAISAL_INPUTS),
    }
    return render(request, "pay/policy_bindings.html", context)


# -- piece rates ------------------------------------------------------------------------------------------------------


@perm_required("pay.view_piecerate")
def piecerate_list(request):
    queryset = PieceRate.objects.for_user(request.user).order_by("-active", "product_type", "pk")
    initial = {}
    chosen = request.GET.get("edit")
    if chosen is not None:
        existing = PieceRate.objects.filter(product_type=chosen).first()
        if existing is not None:
            initial = {"product_type": existing.product_type, "rate": existing.rate, "active": existing.active}
    form = PieceRateForm(initial=initial) if request.user.has_perm("pay.change_piecerate") else None
    return render_list(request, "pay/piecerate_list.html", "pay/piecerate_list_table.html", queryset, {"form": form})


@perm_required("pay.change_piecerate")
def piecerate_set(request):
    form = PieceRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rate = piece_rate_set(
                actor=request.user, product_type=data["product_type"], rate=data["rate"], active=data["active"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Piece rate of %(type)s set to %(rate)s.")
                % {"type": rate.product_type or _("every other product type"), "rate": rate.rate},
            )
            return redirect("pay:piecerate_list")
    queryset = PieceRate.objects.for_user(request.user).order_by("-active", "product_type", "pk")
    return render_list(request, "pay/piecerate_list.html", "pay/piecerate_list_table.html", queryset, {"form": form})


urlpatterns = [
    path("policies/", policy_list, name="policy_list"),
    path("policies/new/", policy_create_view, name="policy_create"),
    path("policies/check/", policy_check, name="policy_check"),
    path("policies/<int:pk>/", policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", policy_edit, name="policy_edit"),
    path("piece-rates/", piecerate_list, name="piecerate_list"),
    path("piece-rates/set/", piecerate_set, name="piecerate_set"),
]
