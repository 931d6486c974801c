"""Forms of the catalogue and location pages. They parse input; the services normalise, validate and save.

Other parts pages keep their forms in their own modules (`forms_stock.py`, …).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import ServiceModelForm
from aftersales.org.models import Branch
from aftersales.parts.models import Bin, Part, Supplier, Warehouse

#: The id of the <datalist> of known categories that the part form's category input offers.
CATEGORY_LIST_ID = "part-categories"

CODE_ATTRS = {"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}


def _suppliers(user):
    return Supplier.objects.for_user(user).filter(active=True)


def _branches(user):
    return Branch.objects.for_user(user).filter(active=True)


def _drop_active_when_creating(form, creating: bool) -> None:
    if creating:
        form.fields.pop("active", None)


class PartForm(ServiceModelForm):
    restrict_to = {"supplier": _suppliers}

    class Meta:
        model = Part
        fields = [
            "code",
            "name",
            "oem_number",
            "brand",
            "category",
            "unit",
            "barcode",
            "retail_price",
            "warranty_price",
            "reorder_point",
            "reorder_quantity",
            "supplier",
            "active",
        ]
        widgets = {
            "code": forms.TextInput(attrs=CODE_ATTRS),
            "oem_number": forms.TextInput(attrs=CODE_ATTRS),
            "barcode": forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            "category": forms.TextInput(attrs={"list": CATEGORY_LIST_ID, "autocomplete": "off"}),
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _drop_active_when_creating(self, creating)
        for name in ("retail_price", "warranty_price", "reorder_point", "reorder_quantity"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class SupplierForm(ServiceModelForm):
    class Meta:
        model = Supplier
        fields = ["code", "name", "contact", "phone", "address", "notes", "active"]
        widgets = {
            "code": forms.TextInput(attrs=CODE_ATTRS),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _drop_active_when_creating(self, creating)


class WarehouseForm(ServiceModelForm):
    """A warehouse of one of the user's branches (the branch list holds only those)."""

    restrict_to = {"branch": _branches}

    class Meta:
        model = Warehouse
        fields = ["code", "name", "branch", "is_default", "address", "active"]
        widgets = {"code": forms.TextInput(attrs=CODE_ATTRS)}

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _drop_active_when_creating(self, creating)
        if creating:
            branches = list(self.fields["branch"].queryset[:2])
            if len(branches) == 1:
                self.initial.setdefault("branch", branches[0].pk)


class BinForm(ServiceModelForm):
    """A new bin, posted from its warehouse's page (the warehouse comes from the address)."""

    prefix = "bin"

    class Meta:
        model = Bin
        fields = ["code", "name"]
        widgets = {"code": forms.TextInput(attrs={**CODE_ATTRS, "placeholder": "A-01-03"})}


class BalanceBinForm(forms.Form):
    """A part's home bin in one warehouse: one of that warehouse's bins, or none."""

    bin = forms.ModelChoiceField(label=_("bin"), queryset=Bin.objects.none(), required=False)

    def __init__(self, *args, warehouse: Warehouse, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bin"].queryset = Bin.objects.filter(warehouse=warehouse)
