"""Pages: purchasing — purchase orders (list, create, edit, status moves, receiving) and suggested orders.

The buttons of an order come from the transition table (`PURCHASE_TRANSITIONS`): each status the order
may move to has one action below, and each action posts to one view that calls one service.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list
from aftersales.core.pagination import positive_int
from aftersales.parts.choices import PURCHASE_RECEIVABLE, PURCHASE_TRANSITIONS, PurchaseStatus
from aftersales.parts.forms_purchasing import (
    PurchaseOrderForm,
    ReceiveForm,
    SuggestionOrderForm,
    carried_rows,
    order_line_formset,
)
from aftersales.parts.models import Supplier, Warehouse
from aftersales.parts.services import purchasing as services

#: Recorded values of an order that are not model fields.
HISTORY_FIELDS = {"lines": (gettext_lazy("Lines"), lambda value: value)}

#: How each status is shown as a tag.
STATUS_TONES = {
    PurchaseStatus.DRAFT: "neutral",
    PurchaseStatus.ORDERED: "info",
    PurchaseStatus.PARTIAL: "warn",
    PurchaseStatus.RECEIVED: "ok",
    PurchaseStatus.CLOSED: "neutral",
    PurchaseStatus.CANCELLED: "bad",
}


@dataclass(frozen=True)
class Action:
    url_name: str
    label: str
    confirm: str
    style: str
    service: object


#: The page action that moves an order to each status of the transition table.
ACTIONS = {
    PurchaseStatus.ORDERED: Action(
        "purchase_place",
        gettext_lazy("Place order"),
        gettext_lazy("Send this order to the supplier? Its lines can no longer be edited."),
        "btn-primary",
        services.purchase_order_place,
    ),
    PurchaseStatus.CLOSED: Action(
        "purchase_close",
        gettext_lazy("Close short"),
        gettext_lazy("Close this order short? What is still outstanding will no longer be expected."),
        "btn-danger",
        services.purchase_order_close,
    ),
    PurchaseStatus.CANCELLED: Action(
        "purchase_cancel",
        gettext_lazy("Cancel order"),
        gettext_lazy("Cancel this purchase order? This cannot be undone."),
        "btn-danger",
        services.purchase_order_cancel,
    ),
}
ACTION_ORDER = [PurchaseStatus.ORDERED, PurchaseStatus.CLOSED, PurchaseStatus.CANCELLED]


def order_actions(order) -> list[Action]:
    """The status moves the table allows from the order's status, as page actions."""
    allowed = PURCHASE_TRANSITIONS[PurchaseStatus(order.status)]
    return [ACTIONS[status] for status in ACTION_ORDER if status in allowed]


def _status_tag(order) -> tuple[str, str]:
    return order.get_status_display(), STATUS_TONES.get(order.status, "neutral")


def _history(order):
    """The order's history, with the actors' names loaded in one query (not one per event)."""
    history = audit_history(order, extra_fields=HISTORY_FIELDS)
    prefetch_related_objects([entry.event for entry in history if entry.event.actor_id], "actor__employee")
    return history


# -- list -------------------------------------------------------------------------------------------------------------


@perm_required("parts.view_purchaseorder")
def purchase_list(request):
    get = request.GET
    status = get.get("status", "")
    queryset = services.purchase_order_list(
        user=request.user,
        status=status if status in PurchaseStatus.values else "",
        supplier=positive_int(get.get("supplier"), None),
        warehouse=positive_int(get.get("warehouse"), None),
        q=get.get("q", "").strip(),
    )
    context = {
        "statuses": PurchaseStatus.choices,
        "tones": STATUS_TONES,
        "suppliers": Supplier.objects.filter(active=True).order_by("code"),
        "warehouses": Warehouse.objects.for_user(request.user).filter(active=True).order_by("code"),
    }
    return render_list(
        request,
        "parts/purchase_list.html",
        "parts/purchase_list_results.html",
        queryset,
        context,
        after_page=services.purchase_order_lines_attach,
    )


# -- one order --------------------------------------------------------------------------------------------------------


@login_required
def purchase_detail(request, pk):
    order = services.purchase_order_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_purchaseorder")
    user = request.user
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "status_label": _status_tag(order),
        "receipts": services.purchase_order_receipts(order),
        "actions": order_actions(order) if user.has_perm("parts.change_purchaseorder") else [],
        "can_edit": order.status == PurchaseStatus.DRAFT and user.has_perm("parts.change_purchaseorder"),
        "can_receive": order.status in PURCHASE_RECEIVABLE and user.has_perm("parts.receive_stock"),
        "can_reverse": user.has_perm("parts.receive_stock") and user.has_perm("parts.adjust_stock"),
        "history": _history(order),
    }
    return render(request, "parts/purchase_detail.html", context)


def _order_form_page(request, *, title: str, order=None, save):
    """Create or edit an order: the head form and the lines formset; "more rows" shows the page again with
    what was typed and further blank rows; a valid post runs `save(head data, lines)`."""
    post = request.POST if request.method == "POST" else None
    if post is not None and "more_rows" in post:
        initial = {name: post.get(name, "") for name in ("supplier", "warehouse", "expected_on", "notes")}
        form = PurchaseOrderForm(user=request.user, order=order, initial=initial)
        formset = order_line_formset(carried=carried_rows(post))
    else:
        form = PurchaseOrderForm(post, user=request.user, order=order)
        formset = order_line_formset(post, order=order)
        if post is not None and form.is_valid() & formset.is_valid():
            try:
                saved = save(form.cleaned_data, formset.order_lines())
            except ValidationError as exc:
                rest = formset.apply_service_errors(exc)
                apply_form_errors(form, ValidationError({key or "__all__": messages for key, messages in rest}))
            except Conflict as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Purchase order %(number)s saved.") % {"number": saved.number})
                return redirect(saved)
    context = {"form": form, "formset": formset, "title": title, "order": order}
    return render(request, "parts/purchase_form.html", context)


@perm_required("parts.add_purchaseorder")
def purchase_create(request):
    def save(data, lines):
        return services.purchase_order_create(
            actor=request.user,
            supplier=data["supplier"],
            warehouse=data["warehouse"],
            lines=lines,
            expected_on=data["expected_on"],
            notes=data["notes"],
        )

    return _order_form_page(request, title=_("New purchase order"), save=save)


@login_required
def purchase_edit(request, pk):
    order = services.purchase_order_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_purchaseorder")
    if order.status != PurchaseStatus.DRAFT:
        messages.error(
            request, _("Only a draft can be edited; this order is %(status)s.") % {"status": order.get_status_display()}
        )
        return redirect(order)

    def save(data, lines):
        return services.purchase_order_update(
            actor=request.user,
            order=order,
            supplier=data["supplier"],
            expected_on=data["expected_on"],
            notes=data["notes"],
            lines=lines,
        )

    return _order_form_page(request, title=_("Edit %(number)s") % {"number": order.number}, order=order, save=save)


@require_POST
@login_required
def purchase_transition(request, pk, to):
    order = services.purchase_order_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.change_purchaseorder")
    action = ACTIONS[PurchaseStatus(to)]
    try:
        order = action.service(actor=request.user, order=order)
    except (ValidationError, Conflict) as exc:
        messages.error(request, exc.message if isinstance(exc, Conflict) else "; ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Purchase order %(number)s is now %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    return redirect("parts:purchase_detail", pk=order.pk)


# -- receiving --------------------------------------------------------------------------------------------------------


@login_required
def purchase_receive(request, pk):
    order = services.purchase_order_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.receive_stock")
    if order.status not in PURCHASE_RECEIVABLE:
        messages.error(
            request,
            _("Only an ordered purchase order can be received; this one is %(status)s.")
            % {"status": order.get_status_display()},
        )
        return redirect(order)
    form = ReceiveForm(request.POST or None, lines=order.lines.all())
    if request.method == "POST" and form.is_valid():
        try:
            receipt = services.purchase_order_receive(
                actor=request.user, order=order, lines=form.receive_lines(), note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc, field_map=form.field_map())
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            count = len(receipt.lines.all())
            messages.success(
                request,
                ngettext(
                    "Receipt %(number)s posted: %(count)d line.",
                    "Receipt %(number)s posted: %(count)d lines.",
                    count,
                )
                % {"number": receipt.number, "count": count},
            )
            return redirect(order)
    context = {"order": order, "form": form, "status_label": _status_tag(order)}
    return render(request, "parts/purchase_receive.html", context)


@require_POST
@login_required
def purchase_receipt_reverse(request, pk, receipt_pk):
    order = services.purchase_order_detail(user=request.user, pk=pk)
    receipt = services.purchase_receipt_get(user=request.user, order=order, pk=receipt_pk)
    require_perm(request.user, "parts.receive_stock")
    try:
        services.purchase_receipt_reverse(actor=request.user, receipt=receipt)
    except (ValidationError, Conflict) as exc:
        messages.error(request, exc.message if isinstance(exc, Conflict) else "; ".join(exc.messages))
    else:
        messages.success(request, _("Receipt %(number)s reversed.") % {"number": receipt.number})
    return redirect(order)


# -- suggested orders -------------------------------------------------------------------------------------------------


def _default_warehouse(request, warehouses):
    """The user's own branch's default warehouse, else the first default one they see, else the first."""
    employee = getattr(request.user, "employee", None)
    own_branch = getattr(employee, "branch_id", None)
    for test in (lambda w: w.is_default and w.branch_id == own_branch, lambda w: w.is_default, lambda w: True):
        found = next((w for w in warehouses if test(w)), None)
        if found is not None:
            return found
    return None


@perm_required("parts.view_purchaseorder")
def purchase_suggestions(request):
    warehouses = list(Warehouse.objects.for_user(request.user).filter(active=True).select_related("branch"))
    source = request.POST if request.method == "POST" else request.GET
    chosen = positive_int(source.get("warehouse"), None)
    if chosen:
        warehouse = get_for_user_or_404(Warehouse, request.user, pk=chosen)
    else:
        warehouse = _default_warehouse(request, warehouses)
    groups = services.purchase_suggestions(user=request.user, warehouse=warehouse) if warehouse else []
    orderable = [s.part.pk for group in groups if group.supplier for s in group.lines]
    form = SuggestionOrderForm(request.POST or None, part_ids=orderable, initial={"part": orderable})
    if request.method == "POST":
        require_perm(request.user, "parts.add_purchaseorder")
        if form.is_valid():
            try:
                orders = services.purchase_orders_from_suggestions(
                    actor=request.user, warehouse=warehouse, part_ids=form.cleaned_data["part"]
                )
            except ValidationError as exc:
                apply_form_errors(form, exc, field_map={"part_ids": "part"})
            except Conflict as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d draft purchase order created.",
                        "%(count)d draft purchase orders created.",
                        len(orders),
                    )
                    % {"count": len(orders)},
                )
                if len(orders) == 1:
                    return redirect(orders[0])
                return redirect(reverse("parts:purchase_list") + f"?status=draft&warehouse={warehouse.pk}")
    ticked = {int(pk) for pk in form["part"].value() or [] if str(pk).isdigit()}
    context = {
        "warehouses": warehouses,
        "warehouse": warehouse,
        "groups": groups,
        "form": form,
        "ticked": ticked,
        "count": sum(len(group.lines) for group in groups),
    }
    return render(request, "parts/suggestion_list.html", context)


urlpatterns = [
    path("purchases/", purchase_list, name="purchase_list"),
    path("purchases/new/", purchase_create, name="purchase_create"),
    path("purchases/suggestions/", purchase_suggestions, name="purchase_suggestions"),
    path("purchases/<int:pk>/", purchase_detail, name="purchase_detail"),
    path("purchases/<int:pk>/edit/", purchase_edit, name="purchase_edit"),
    path("purchases/<int:pk>/place/", purchase_transition, {"to": PurchaseStatus.ORDERED}, name="purchase_place"),
    path("purchases/<int:pk>/cancel/", purchase_transition, {"to": PurchaseStatus.CANCELLED}, name="purchase_cancel"),
    path("purchases/<int:pk>/close/", purchase_transition, {"to": PurchaseStatus.CLOSED}, name="purchase_close"),
    path("purchases/<int:pk>/receive/", purchase_receive, name="purchase_receive"),
    path(
        "purchases/<int:pk>/receipts/<int:receipt_pk>/reverse/",
        purchase_receipt_reverse,
        name="purchase_receipt_reverse",
    ),
]
