"""Pages: stock balances, the ledger, receipts, issues, returns, transfers, adjustments, reversals, reservations.

Each page is thin: a form parses, the funnel fetches (another branch's move, receipt or reservation
is a 404), one ledger service acts, and the page redirects to what was posted with a toast. Errors
of the services come back beside the fields; a conflict (not enough stock, already reversed) is
shown above the form and nothing changes.
"""

import datetime
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import require_perm
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list
from aftersales.core.pagination import positive_int
from aftersales.core.xlsx import xlsx_response
from aftersales.org.models import Branch
from aftersales.parts import selectors, selectors_stock
from aftersales.parts.choices import MoveKind, ReservationStatus
from aftersales.parts.forms_stock import (
    MAX_RECEIPT_LINES,
    AdjustmentForm,
    IssueForm,
    MoveReverseForm,
    ReceiptForm,
    ReservationForm,
    ReservationIssueForm,
    ReturnForm,
    TransferForm,
    receipt_line_form,
    receipt_line_forms,
)
from aftersales.parts.models import Part, Supplier, Warehouse
from aftersales.parts.services import ledger
from aftersales.parts.services.receipts import ReceiptLineIn, stock_receive

#: An export larger than this asks the user to narrow the filters (an xlsx sheet is built in memory).
EXPORT_LIMIT = 100_000


# -- helpers ----------------------------------------------------------------------------------------------------------


def _date(value) -> datetime.date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def quantity_text(value) -> str:
    """`3.00` → `3`: quantities in messages as people say them."""
    return ledger.quantity_text(value)


def _post(request, form, save, success):
    """Validate, run the service, and toast `success(result)`; None with the errors on the form otherwise."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except ValidationError as exc:
        apply_form_errors(form, exc)
        return None
    except Conflict as exc:
        form.add_error(None, str(exc.message))
        return None
    messages.success(request, success(result))
    return result


def _prefill(request, warehouses, *, warehouse_field: str = "warehouse") -> dict:
    """Initial values from `?part=&warehouse=` (e.g. an "Issue" link on the stock list), else the default warehouse."""
    initial = {}
    part_id = positive_int(request.GET.get("part"), None)
    if part_id:
        part = Part.objects.for_user(request.user).filter(pk=part_id).first()
        if part is not None:
            initial["part"] = part
    warehouse_id = positive_int(request.GET.get("warehouse"), None)
    if warehouse_id and any(w.pk == warehouse_id for w in warehouses):
        initial[warehouse_field] = warehouse_id
    else:
        initial[warehouse_field] = selectors_stock.default_warehouse_id(request.user, warehouses)
    return initial


def _balance_beside(request, form, *, warehouse_field: str = "warehouse"):
    """The balance of the part and warehouse the form is about, to show what is available beside it."""
    data = getattr(form, "cleaned_data", None) or {}
    part = data.get("part") if form.is_bound else form.initial.get("part")
    warehouse = data.get(warehouse_field) if form.is_bound else form.initial.get(warehouse_field)
    if not isinstance(part, Part) or not warehouse:
        return None
    warehouse_id = warehouse.pk if isinstance(warehouse, Warehouse) else warehouse
    balance = selectors_stock.balance_of(user=request.user, part_id=part.pk, warehouse_id=warehouse_id)
    return {"part": part, "balance": balance}


def _action_page(
    request, form, save, success, *, title: str, intro: str = "", warehouse_field="warehouse", to=None, cancel=None
):
    """A one-move page: post through `save`, go to the move (or what `to` says) with a toast; else the form."""
    result = _post(request, form, save, success)
    if result is not None:
        return redirect(to(result) if to else result_url(result))
    if cancel is None:
        cancel = reverse("parts:stock_list") if request.user.has_perm("parts.view_stockbalance") else reverse("home")
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "cancel_url": cancel,
        "beside": _balance_beside(request, form, warehouse_field=warehouse_field),
    }
    return render(request, "parts/stock_form.html", context)


def result_url(move) -> str:
    return reverse("parts:move_detail", args=[move.pk])


def _too_many(request, queryset, back: str):
    """Send the user back to the list with a message when the export would be too large."""
    count = queryset.order_by()[: EXPORT_LIMIT + 1].count()
    if count > EXPORT_LIMIT:
        messages.error(
            request,
            _("More than %(max)s rows match; narrow the filters to export them.") % {"max": EXPORT_LIMIT},
        )
        return HttpResponseRedirect(f"{reverse(back)}?{request.GET.urlencode()}")
    return None


def _stamp() -> str:
    return timezone.localtime().strftime("-%Y%m%d-%H%M") + ".xlsx"


def _by(user) -> str:
    if user is None:
        return ""
    employee = getattr(user, "employee", None)
    return getattr(employee, "name", "") or user.get_username()


# -- stock balances ---------------------------------------------------------------------------------------------------


def _stock_filters(request) -> dict:
    get = request.GET
    return {
        "q": get.get("q", "").strip(),
        "branch": positive_int(get.get("branch"), None),
        "warehouse": positive_int(get.get("warehouse"), None),
        # a checkbox sends nothing when unticked: the form sends a hidden "0" before it, so "absent" means default (on)
        "in_stock": ("1" in get.getlist("in_stock")) if "in_stock" in get else True,
        "sort": get.get("sort", ""),
    }


@perm_required("parts.view_stockbalance")
def stock_list(request):
    filters = _stock_filters(request)
    queryset = selectors.balance_list(user=request.user, **filters)
    context = {
        "filters": filters,
        "totals": selectors_stock.balance_totals(queryset),
        "branches": Branch.objects.for_user(request.user).filter(active=True, warehouses__isnull=False).distinct(),
        "warehouses": Warehouse.objects.for_user(request.user).order_by("branch__code", "-is_default", "code"),
    }
    return render_list(request, "parts/stock_list.html", "parts/stock_table.html", queryset, context)


@perm_required("parts.view_stockbalance")
def stock_export(request):
    require_perm(request.user, "parts.export_part")
    queryset = selectors.balance_list(user=request.user, **_stock_filters(request))
    if response := _too_many(request, queryset, "parts:stock_list"):
        return response
    headers = [
        _("Part code"),
        _("Part name"),
        _("Unit"),
        _("Warehouse"),
        _("Bin"),
        _("On hand"),
        _("Reserved"),
        _("Available"),
        _("Average cost"),
        _("Value"),
        _("Last movement"),
    ]
    rows = (
        [
            b.part.code,
            b.part.name,
            b.part.unit,
            b.warehouse.code,
            b.bin.code if b.bin else "",
            b.on_hand,
            b.reserved,
            b.available,
            b.average_cost,
            b.value,
            b.last_move_at,
        ]
        for b in queryset.iterator(chunk_size=2000)
    )
    return xlsx_response(_("stock") + _stamp(), headers, rows, sheet_title=_("stock"))


# -- the ledger -------------------------------------------------------------------------------------------------------


def _move_filters(request) -> dict:
    get = request.GET
    kind = get.get("kind", "")
    return {
        "part": positive_int(get.get("part"), None),
        "warehouse": positive_int(get.get("warehouse"), None),
        "kind": kind if kind in MoveKind.values else "",
        "reference": get.get("reference", "").strip(),
        "date_from": _date(get.get("date_from")),
        "date_to": _date(get.get("date_to")),
    }


def _moves(request):
    queryset = selectors.move_list(user=request.user, **_move_filters(request))
    queryset = selectors_stock.part_quick_search(queryset, request.GET.get("q", ""))
    return queryset.select_related("created_by__employee")


@perm_required("parts.view_stockmove")
def move_list(request):
    part_id = positive_int(request.GET.get("part"), None)
    context = {
        "kinds": MoveKind.choices,
        "warehouses": Warehouse.objects.for_user(request.user).order_by("branch__code", "-is_default", "code"),
        "part": Part.objects.filter(pk=part_id).first() if part_id else None,
    }
    return render_list(request, "parts/move_list.html", "parts/move_table.html", _moves(request), context)


@perm_required("parts.export_part")
def move_export(request):
    queryset = _moves(request)
    if response := _too_many(request, queryset, "parts:move_list"):
        return response
    headers = [
        _("Move"),
        _("Time"),
        _("Kind"),
        _("Reverses move"),
        _("Part code"),
        _("Part name"),
        _("Warehouse"),
        _("Quantity"),
        _("Unit cost"),
        _("Value"),
        _("On hand after"),
        _("Value after"),
        _("Reference"),
        _("Note"),
        _("By"),
    ]
    rows = (
        [
            m.pk,
            m.posted_at,
            m.get_kind_display(),
            m.reverses_id,
            m.part.code,
            m.part.name,
            m.warehouse.code,
            m.quantity,
            m.unit_cost,
            m.value,
            m.on_hand_after,
            m.value_after,
            m.reference,
            m.note,
            _by(m.created_by),
        ]
        for m in queryset.iterator(chunk_size=2000)
    )
    return xlsx_response(_("stock-moves") + _stamp(), headers, rows, sheet_title=_("stock moves"))


@login_required
def move_detail(request, pk):
    move = selectors.move_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_stockmove")
    reversed_by = selectors_stock.move_reversal(user=request.user, move=move)
    context = {
        "move": move,
        "reversed_by": reversed_by,
        "can_reverse": move.reverses_id is None and reversed_by is None,
    }
    return render(request, "parts/move_detail.html", context)


@login_required
def move_reverse(request, pk):
    move = selectors.move_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.adjust_stock")
    form = MoveReverseForm(request.POST or None)
    reversal = _post(
        request,
        form,
        lambda data: ledger.stock_move_reverse(actor=request.user, move=move, note=data["note"]),
        lambda result: _("Move #%(id)s reversed by move #%(reversal)s.") % {"id": move.pk, "reversal": result.pk},
    )
    if reversal is not None:
        return redirect("parts:move_detail", pk=reversal.pk)
    reversed_by = selectors_stock.move_reversal(user=request.user, move=move)
    if move.reverses_id is not None:
        blocked = _("This move is itself a reversal; post the move again instead.")
    elif reversed_by is not None:
        blocked = _("This move has already been reversed.")
    else:
        blocked = ""
    return render(
        request,
        "parts/move_reverse.html",
        {
            "move": move,
            "form": form,
            "blocked": blocked if request.method != "POST" else "",
            "reversed_by": reversed_by,
        },
    )


# -- one-move actions -------------------------------------------------------------------------------------------------


def _moved(verb: str):
    def message(move) -> str:
        return verb % {
            "quantity": quantity_text(abs(move.quantity)),
            "part": move.part.code,
            "warehouse": move.warehouse.code,
        }

    return message


@perm_required("parts.issue_stock")
def issue_create(request):
    form = IssueForm(request.POST or None, user=request.user, initial=_prefill_for(request))
    return _action_page(
        request,
        form,
        lambda d: ledger.stock_issue(
            actor=request.user,
            warehouse=d["warehouse"],
            part=d["part"],
            quantity=d["quantity"],
            reference=d["reference"],
        ),
        _moved(_("Issued %(quantity)s × %(part)s from %(warehouse)s.")),
        title=_("Issue parts"),
    )


@perm_required("parts.issue_stock")
def return_create(request):
    form = ReturnForm(request.POST or None, user=request.user, initial=_prefill_for(request))
    return _action_page(
        request,
        form,
        lambda d: ledger.stock_return(
            actor=request.user,
            warehouse=d["warehouse"],
            part=d["part"],
            quantity=d["quantity"],
            reference=d["reference"],
            unit_cost=d["unit_cost"],
        ),
        _moved(_("Returned %(quantity)s × %(part)s to %(warehouse)s.")),
        title=_("Return parts"),
    )


@perm_required("parts.transfer_stock")
def transfer_create(request):
    form = TransferForm(request.POST or None, user=request.user, initial=_prefill_for(request, "source"))
    return _action_page(
        request,
        form,
        lambda d: ledger.stock_transfer(
            actor=request.user,
            source=d["source"],
            destination=d["destination"],
            part=d["part"],
            quantity=d["quantity"],
            reference=d["reference"],
        ),
        lambda moves: (
            _("Transferred %(quantity)s × %(part)s from %(source)s to %(destination)s.")
            % {
                "quantity": quantity_text(moves[1].quantity),
                "part": moves[0].part.code,
                "source": moves[0].warehouse.code,
                "destination": moves[1].warehouse.code,
            }
        ),
        title=_("Transfer parts"),
        warehouse_field="source",
        to=lambda moves: result_url(moves[0]),
    )


@perm_required("parts.adjust_stock")
def adjustment_create(request):
    form = AdjustmentForm(request.POST or None, user=request.user, initial=_prefill_for(request))
    return _action_page(
        request,
        form,
        lambda d: ledger.stock_adjust(
            actor=request.user,
            warehouse=d["warehouse"],
            part=d["part"],
            quantity=d["quantity"],
            unit_cost=d["unit_cost"],
            reason=d["reason"],
        ),
        lambda move: (
            _("Stock of %(part)s in %(warehouse)s adjusted by %(quantity)s.")
            % {
                "part": move.part.code,
                "warehouse": move.warehouse.code,
                "quantity": ("+" if move.quantity > 0 else "") + quantity_text(move.quantity),
            }
        ),
        title=_("Adjust stock"),
        intro=_("Correct a gain or a loss found on the shelf. Counts of a whole warehouse go through a stocktake."),
    )


def _prefill_for(request, warehouse_field: str = "warehouse") -> dict:
    if request.method == "POST":
        return {}
    return _prefill(request, list(selectors_stock.postable_warehouses(request.user)), warehouse_field=warehouse_field)


# -- receipts ---------------------------------------------------------------------------------------------------------


def _receipt_filters(request) -> dict:
    get = request.GET
    return {
        "q": get.get("q", "").strip(),
        "warehouse": positive_int(get.get("warehouse"), None),
        "supplier": positive_int(get.get("supplier"), None),
        "date_from": _date(get.get("date_from")),
        "date_to": _date(get.get("date_to")),
    }


@perm_required("parts.view_goodsreceipt")
def receipt_list(request):
    queryset = selectors_stock.receipt_list(user=request.user, **_receipt_filters(request))
    context = {
        "warehouses": Warehouse.objects.for_user(request.user).order_by("branch__code", "-is_default", "code"),
        "suppliers": Supplier.objects.for_user(request.user).filter(active=True).order_by("code"),
    }
    return render_list(request, "parts/receipt_list.html", "parts/receipt_table.html", queryset, context)


@login_required
def receipt_detail(request, pk):
    receipt = selectors_stock.receipt_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_goodsreceipt")
    lines = selectors_stock.receipt_lines(receipt)
    context = {
        "receipt": receipt,
        "lines": lines,
        "total_quantity": sum((line.quantity for line in lines), start=0),
        "total_value": sum((line.move.value for line in lines if line.move_id), start=0),
    }
    return render(request, "parts/receipt_detail.html", context)


LINE_ERROR_KEY = re.compile(r"^lines\.(\d+)\.(\w+)$")


def _receipt_errors(exc: ValidationError, form, lines, posted: list[int]) -> None:
    """The service names line errors `lines.<i>.<field>` by the i-th line it was given; show each on its row."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        match = LINE_ERROR_KEY.match(key)
        if match and int(match.group(1)) < len(posted):
            line = lines[posted[int(match.group(1))]]
            field = match.group(2) if match.group(2) in line.fields else None
            for error in errors:
                line.add_error(field, error)
        else:
            apply_form_errors(form, ValidationError({key: errors}))


def _line_summaries(lines) -> list[str]:
    """One message per row with errors, naming the row: "Line 3: Part: No part has …"."""
    summaries = []
    for number, line in enumerate(lines, start=1):
        if not line.is_bound or not line.errors:
            continue
        parts = []
        for name, errors in line.errors.items():
            label = line.fields[name].label if name in line.fields else ""
            parts.extend(f"{label}: {error}" if label else str(error) for error in errors)
        summaries.append(_("Line %(line)s: %(errors)s") % {"line": number, "errors": "; ".join(parts)})
    return summaries


@perm_required("parts.receive_stock")
def receipt_create(request):
    warehouses = list(selectors_stock.postable_warehouses(request.user))
    post = request.POST if request.method == "POST" else None
    if post is not None and "add_line" in post:
        # "Add line" without JavaScript: the same page with one more row, nothing checked or saved yet
        initial = {name: post.get(name, "") for name in ReceiptForm.base_fields}
        form, lines = ReceiptForm(user=request.user, initial=initial), receipt_line_forms(post, add=1)
    elif post is not None:
        form, lines = ReceiptForm(post, user=request.user), receipt_line_forms(post)
        valid = [form.is_valid(), *(line.is_valid() for line in lines)]
        if all(valid):
            posted = [index for index, line in enumerate(lines) if line.cleaned_data]
            try:
                receipt = stock_receive(
                    actor=request.user,
                    warehouse=form.cleaned_data["warehouse"],
                    supplier=form.cleaned_data["supplier"],
                    note=form.cleaned_data["note"],
                    lines=[
                        ReceiptLineIn(
                            part=lines[i].cleaned_data["part"],
                            quantity=lines[i].cleaned_data["quantity"],
                            unit_cost=lines[i].cleaned_data["unit_cost"],
                        )
                        for i in posted
                    ],
                )
            except ValidationError as exc:
                _receipt_errors(exc, form, lines, posted)
            except Conflict as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Receipt %(number)s posted: %(lines)s lines into %(warehouse)s.")
                    % {"number": receipt.number, "lines": len(posted), "warehouse": receipt.warehouse.code},
                )
                return redirect(receipt)
    else:
        initial = {"warehouse": selectors_stock.default_warehouse_id(request.user, warehouses)}
        supplier = positive_int(request.GET.get("supplier"), None)
        if supplier:
            initial["supplier"] = supplier
        form, lines = ReceiptForm(user=request.user, initial=initial), receipt_line_forms()
    context = {
        "form": form,
        "lines": lines,
        "line_errors": _line_summaries(lines),
        "next_index": len(lines),
        "max_lines": MAX_RECEIPT_LINES,
        "title": _("Receive parts"),
    }
    return render(request, "parts/receipt_form.html", context)


@perm_required("parts.receive_stock")
def receipt_line(request):
    """One more empty line row for the receipt form (htmx), and the "add line" button for the row after it."""
    try:
        index = max(0, min(int(request.GET.get("index", "0")), MAX_RECEIPT_LINES))
    except ValueError:
        index = 0
    if index >= MAX_RECEIPT_LINES:
        context = {"line": None, "next_index": index, "max_lines": MAX_RECEIPT_LINES, "oob": True}
        return render(request, "parts/receipt_line.html", context)
    context = {
        "line": receipt_line_form(index),
        "number": index + 1,
        "next_index": index + 1,
        "max_lines": MAX_RECEIPT_LINES,
        "oob": True,
    }
    return render(request, "parts/receipt_line.html", context)


# -- reservations -----------------------------------------------------------------------------------------------------


def _reservation_filters(request) -> dict:
    get = request.GET
    status = get.get("status", ReservationStatus.OPEN)
    return {
        "part": positive_int(get.get("part"), None),
        "warehouse": positive_int(get.get("warehouse"), None),
        "status": status if status in ReservationStatus.values else "",
    }


@perm_required("parts.view_stockreservation")
def reservation_list(request):
    filters = _reservation_filters(request)
    queryset = selectors.reservation_list(user=request.user, **filters)
    queryset = selectors_stock.part_quick_search(queryset, request.GET.get("q", "")).select_related(
        "created_by__employee"
    )
    context = {
        "statuses": ReservationStatus.choices,
        "status": filters["status"] or "all",
        "warehouses": Warehouse.objects.for_user(request.user).order_by("branch__code", "-is_default", "code"),
        "part": Part.objects.filter(pk=filters["part"]).first() if filters["part"] else None,
    }
    return render_list(request, "parts/reservation_list.html", "parts/reservation_table.html", queryset, context)


@login_required
def reservation_detail(request, pk):
    reservation = selectors.reservation_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.view_stockreservation")
    context = {
        "reservation": reservation,
        "moves": selectors_stock.reservation_moves(user=request.user, reservation=reservation),
        "is_open": reservation.status == ReservationStatus.OPEN,
        "issue_form": ReservationIssueForm(),
    }
    return render(request, "parts/reservation_detail.html", context)


@perm_required("parts.reserve_stock")
def reservation_create(request):
    form = ReservationForm(request.POST or None, user=request.user, initial=_prefill_for(request))
    return _action_page(
        request,
        form,
        lambda d: ledger.stock_reserve(
            actor=request.user,
            warehouse=d["warehouse"],
            part=d["part"],
            quantity=d["quantity"],
            reference=d["reference"],
        ),
        lambda r: (
            _("Reserved %(quantity)s × %(part)s for %(reference)s.")
            % {"quantity": quantity_text(r.quantity), "part": r.part.code, "reference": r.reference}
        ),
        title=_("Reserve parts"),
        to=lambda r: reverse("parts:reservation_detail", args=[r.pk]),
        cancel=reverse("parts:reservation_list"),
    )


@require_POST
@login_required
def reservation_release(request, pk):
    reservation = selectors.reservation_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.reserve_stock")
    try:
        ledger.stock_reservation_release(actor=request.user, reservation=reservation)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Reservation for %(reference)s released: %(quantity)s × %(part)s are available again.")
            % {
                "reference": reservation.reference,
                "quantity": quantity_text(reservation.remaining),
                "part": reservation.part.code,
            },
        )
    return redirect("parts:reservation_detail", pk=reservation.pk)


@require_POST
@login_required
def reservation_issue(request, pk):
    reservation = selectors.reservation_detail(user=request.user, pk=pk)
    require_perm(request.user, "parts.issue_stock")
    form = ReservationIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("parts:reservation_detail", pk=reservation.pk)
    try:
        move = ledger.stock_issue_reserved(
            actor=request.user, reservation=reservation, quantity=form.cleaned_data["quantity"]
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Issued %(quantity)s × %(part)s against %(reference)s.")
            % {
                "quantity": quantity_text(-move.quantity),
                "part": reservation.part.code,
                "reference": reservation.reference,
            },
        )
        return redirect("parts:move_detail", pk=move.pk)
    return redirect("parts:reservation_detail", pk=reservation.pk)


urlpatterns = [
    path("stock/", stock_list, name="stock_list"),
    path("stock/export/", stock_export, name="stock_export"),
    path("stock/issue/", issue_create, name="issue_create"),
    path("stock/return/", return_create, name="return_create"),
    path("stock/transfer/", transfer_create, name="transfer_create"),
    path("stock/adjust/", adjustment_create, name="adjustment_create"),
    path("moves/", move_list, name="move_list"),
    path("moves/export/", move_export, name="move_export"),
    path("moves/<int:pk>/", move_detail, name="move_detail"),
    path("moves/<int:pk>/reverse/", move_reverse, name="move_reverse"),
    path("receipts/", receipt_list, name="receipt_list"),
    path("receipts/new/", receipt_create, name="receipt_create"),
    path("receipts/new/line/", receipt_line, name="receipt_line"),
    path("receipts/<int:pk>/", receipt_detail, name="receipt_detail"),
    path("reservations/", reservation_list, name="reservation_list"),
    path("reservations/new/", reservation_create, name="reservation_create"),
    path("reservations/<int:pk>/", reservation_detail, name="reservation_detail"),
    path("reservations/<int:pk>/release/", reservation_release, name="reservation_release"),
    path("reservations/<int:pk>/issue/", reservation_issue, name="reservation_issue"),
]
