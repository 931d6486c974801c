"""Forms of the stock pages (receive, issue, return, transfer, adjust, reserve, reverse). They only parse.

A part is entered the way a keeper has it at hand: the part code, the OEM number, or the barcode
typed or scanned; `PartCodeField` resolves it on the server. Warehouses are only the active ones the
user may see. The ledger services check quantities, costs and stock again, and their errors come
back beside these fields.
"""

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.parts.models import Part, Supplier, Warehouse
from aftersales.parts.selectors_stock import part_resolve, postable_warehouses

MAX_RECEIPT_LINES = 100
EMPTY_RECEIPT_LINES = 5


class PartCodeField(forms.CharField):
    """A part by its code, OEM number or barcode; cleans to the `Part`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Part"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("Part code, OEM number or barcode: type it or scan it."))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "characters",
                    "spellcheck": "false",
                    "enterkeyhint": "next",
                }
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.code if isinstance(value, Part) else value

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        return part_resolve(text)


def quantity_field(*, label=None, signed: bool = False, required: bool = True, help_text: str = ""):
    return forms.DecimalField(
        label=label or _("Quantity"),
        max_digits=12,
        decimal_places=2,
        min_value=None if signed else Decimal("0.01"),
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def unit_cost_field(*, required: bool = True, help_text: str = ""):
    return forms.DecimalField(
        label=_("Unit cost"),
        max_digits=14,
        decimal_places=4,
        min_value=Decimal("0"),
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.0001", "inputmode": "decimal"}),
    )


def warehouse_field(label=None):
    return forms.ModelChoiceField(queryset=Warehouse.objects.none(), label=label or _("Warehouse"))


def reference_field(*, required: bool = False, help_text: str = ""):
    return forms.CharField(label=_("Reference"), max_length=80, required=required, help_text=help_text)


class StockForm(forms.Form):
    """A stock action: warehouse choices narrowed to the user's active warehouses."""

    warehouse_fields = ("warehouse", "source", "destination")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        warehouses = postable_warehouses(user)
        for name in self.warehouse_fields:
            if name in self.fields:
                self.fields[name].queryset = warehouses


class IssueForm(StockForm):
    warehouse = warehouse_field()
    part = PartCodeField()
    quantity = quantity_field()
    reference = reference_field(help_text=_("What the parts are for, e.g. a service order number."))


class ReturnForm(StockForm):
    warehouse = warehouse_field()
    part = PartCodeField()
    quantity = quantity_field()
    reference = reference_field(help_text=_("The issue or service order the parts come back from."))
    unit_cost = unit_cost_field(required=False, help_text=_("Leave empty to value the parts at the average cost."))


class TransferForm(StockForm):
    source = warehouse_field(_("From warehouse"))
    destination = warehouse_field(_("To warehouse"))
    part = PartCodeField()
    quantity = quantity_field()
    reference = reference_field(help_text=_("Leave empty to number the transfer automatically."))


class AdjustmentForm(StockForm):
    warehouse = warehouse_field()
    part = PartCodeField()
    quantity = quantity_field(
        label=_("Quantity (+ gain, − loss)"),
        signed=True,
        help_text=_("A positive number adds stock, a negative number takes it away."),
    )
    unit_cost = unit_cost_field(required=False, help_text=_("For a gain; empty: the average cost."))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        error_messages={"required": _("Say why the stock is adjusted.")},
    )


class ReservationForm(StockForm):
    warehouse = warehouse_field()
    part = PartCodeField()
    quantity = quantity_field()
    reference = reference_field(
        required=True, help_text=_("What the parts are reserved for, e.g. a service order number.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference"].error_messages["required"] = _("Say what the parts are reserved for.")


class ReservationIssueForm(forms.Form):
    quantity = quantity_field(required=False, help_text=_("Leave empty to issue all that remains reserved."))


class MoveReverseForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Why the move is reversed."),
        widget=forms.TextInput(),
    )


class ReceiptForm(StockForm):
    warehouse = warehouse_field()
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none(), label=_("Supplier"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.for_user(self.user).filter(active=True).order_by("code")


class ReceiptLineForm(forms.Form):
    """One line of a receipt. A blank line is ignored (`empty_permitted`)."""

    part = PartCodeField(help_text="")
    quantity = quantity_field()
    unit_cost = unit_cost_field()


def receipt_line_form(index: int, data=None, initial=None) -> ReceiptLineForm:
    return ReceiptLineForm(
        data, prefix=f"lines-{index}", initial=initial, empty_permitted=True, use_required_attribute=False
    )


LINE_FIELD = re.compile(r"^lines-(\d+)-(part|quantity|unit_cost)$")


def posted_line_count(data) -> int:
    """How many line rows a posted receipt form had (the highest row number + 1, at most the maximum)."""
    indexes = [int(m.group(1)) for key in data if (m := LINE_FIELD.match(key))]
    return min(max(indexes) + 1, MAX_RECEIPT_LINES) if indexes else 0


def receipt_line_forms(data=None, *, add: int = 0) -> list[ReceiptLineForm]:
    """The line rows of the receipt page: empty ones for a new receipt; the posted ones (plus `add` empty
    rows, kept unbound so that no error shows yet) when the page comes back."""
    if data is None:
        return [receipt_line_form(i) for i in range(EMPTY_RECEIPT_LINES)]
    count = max(posted_line_count(data), 1)
    if add:
        rows = [
            receipt_line_form(
                i, initial={name: data.get(f"lines-{i}-{name}", "") for name in ReceiptLineForm.base_fields}
            )
            for i in range(count)
        ]
        extra = range(count, min(count + add, MAX_RECEIPT_LINES))
        return rows + [receipt_line_form(i) for i in extra]
    return [receipt_line_form(i, data) for i in range(count)]
