"""Forms of the purchasing pages. They parse input; `services.purchasing` checks and saves.

An order's lines are a formset of (part code, quantity, unit cost) rows; blank rows are ignored, so a
page can offer a few empty rows to fill. The receive form has one quantity and one cost per outstanding
line of the order.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import DateInput
from aftersales.parts.models import Part, Supplier, Warehouse

BLANK_ROWS = 5


def _suppliers(current: Supplier | None = None):
    queryset = Supplier.objects.filter(active=True)
    if current is not None:
        queryset = Supplier.objects.filter(Q(active=True) | Q(pk=current.pk))
    return queryset.order_by("code")


class PurchaseOrderForm(forms.Form):
    """The head of an order. The warehouse is chosen on creation only (the number carries its branch)."""

    supplier = forms.ModelChoiceField(label=_("Supplier"), queryset=Supplier.objects.none())
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    expected_on = forms.DateField(label=_("Expected on"), required=False, widget=DateInput())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, order=None, **kwargs):
        if order is not None:
            kwargs.setdefault(
                "initial", {"supplier": order.supplier_id, "expected_on": order.expected_on, "notes": order.notes}
            )
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = _suppliers(order.supplier if order is not None else None)
        if order is not None:
            del self.fields["warehouse"]
            return
        warehouses = Warehouse.objects.for_user(user).filter(active=True).select_related("branch")
        self.fields["warehouse"].queryset = warehouses
        default = next((w for w in warehouses if w.is_default), None)
        if default is not None:
            self.initial.setdefault("warehouse", default.pk)


class OrderLineForm(forms.Form):
    part = forms.CharField(
        label=_("Part code"), required=False, max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    quantity = forms.DecimalField(label=_("Quantity"), required=False, max_digits=12, decimal_places=2)
    unit_cost = forms.DecimalField(
        label=_("Unit cost"),
        required=False,
        max_digits=14,
        decimal_places=4,
    )

    @property
    def blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("part") and data.get("quantity") is None and data.get("unit_cost") is None

    def clean(self):
        data = super().clean()
        code = (data.get("part") or "").strip()
        if not code:
            if data.get("quantity") is not None or data.get("unit_cost") is not None:
                self.add_error("part", _("Enter a part code."))
            data["part"] = None
            return data
        part = Part.objects.filter(code=code.upper()).first() or Part.objects.filter(barcode=code).first()
        if part is None:
            self.add_error("part", _("No part with code %(code)s.") % {"code": code})
        data["part"] = part
        if data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter a quantity."))
        return data


class BaseOrderLineFormSet(forms.BaseFormSet):
    def filled(self) -> list[tuple[int, forms.Form]]:
        """(form index, form) of the rows with something in them, in page order."""
        return [(index, form) for index, form in enumerate(self.forms) if not form.blank]

    def order_lines(self) -> list[tuple[Part, Decimal, Decimal | None]]:
        return [
            (f.cleaned_data["part"], f.cleaned_data["quantity"], f.cleaned_data["unit_cost"]) for _i, f in self.filled()
        ]

    def apply_service_errors(self, exc: ValidationError) -> list:
        """Put `lines.<i>.<field>` errors of the service beside the fields of the i-th filled row; return the rest."""
        rest = []
        rows = [form for _index, form in self.filled()]
        for key, messages in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(rows):
                form = rows[int(parts[1])]
                name = parts[2] if parts[2] in form.fields else None
                for message in messages:
                    form.add_error(name, message)
            else:
                rest.append((key, messages))
        return rest


def order_line_formset(data=None, *, order=None, rows: int = BLANK_ROWS, carried: list[dict] | None = None):
    """The lines formset: an order's lines (or rows carried over from a post) and `rows` blank rows."""
    if carried is not None:
        initial = carried
    elif order is not None:
        initial = [
            {"part": line.part.code, "quantity": line.quantity, "unit_cost": line.unit_cost}
            for line in order.lines.all()
        ]
    else:
        initial = []
    formset_class = forms.formset_factory(OrderLineForm, formset=BaseOrderLineFormSet, extra=rows, max_num=200)
    return formset_class(data, initial=initial, prefix="lines")


def carried_rows(data) -> list[dict]:
    """The rows typed so far (for "more rows": the page is shown again with them and further blank rows)."""
    try:
        total = min(int(data.get("lines-TOTAL_FORMS", 0)), 200)
    except (TypeError, ValueError):
        total = 0
    rows = []
    for index in range(total):
        row = {name: data.get(f"lines-{index}-{name}", "").strip() for name in ("part", "quantity", "unit_cost")}
        if any(row.values()):
            rows.append(row)
    return rows


class ReceiveForm(forms.Form):
    """What arrived: for each outstanding line a quantity (default: all that is outstanding) and a unit cost
    (default: the ordered cost). A line left empty or at 0 is not received this time."""

    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for line in lines:
            if line.outstanding <= 0:
                continue
            quantity = f"quantity_{line.pk}"
            cost = f"unit_cost_{line.pk}"
            self.fields[quantity] = forms.DecimalField(
                label=_("Quantity of %(code)s") % {"code": line.part.code},
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                initial=line.outstanding,
            )
            self.fields[cost] = forms.DecimalField(
                label=_("Unit cost of %(code)s") % {"code": line.part.code},
                required=False,
                min_value=Decimal("0"),
                max_digits=14,
                decimal_places=4,
                initial=line.unit_cost,
            )
            self.rows.append((line, quantity, cost))

    @property
    def row_fields(self):
        return [(line, self[quantity], self[cost]) for line, quantity, cost in self.rows]

    def receive_lines(self) -> list[tuple]:
        data = self.cleaned_data
        return [
            (line, data[quantity], data[cost])
            for line, quantity, cost in self.rows
            if data.get(quantity) not in (None, Decimal("0"))
        ]

    def field_map(self) -> dict[str, str]:
        """The service's `lines.<i>.<field>` → this form's field of that line."""
        data = self.cleaned_data
        chosen = [(q, c) for _line, q, c in self.rows if data.get(q) not in (None, Decimal("0"))]
        mapping = {}
        for index, (quantity, cost) in enumerate(chosen):
            mapping.update(
                {f"lines.{index}.quantity": quantity, f"lines.{index}.unit_cost": cost, f"lines.{index}.line": quantity}
            )
        return mapping

    def clean(self):
        data = super().clean()
        if self.rows and not self.errors and not any(data.get(q) for _line, q, _c in self.rows):
            raise ValidationError(_("Enter a quantity for at least one line."))
        return data


class SuggestionOrderForm(forms.Form):
    """The suggested parts ticked for ordering."""

    part = forms.TypedMultipleChoiceField(label=_("Parts"), coerce=int, choices=())

    def __init__(self, *args, part_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [(pk, pk) for pk in part_ids]
        self.fields["part"].error_messages["required"] = _("Tick at least one part.")
