"""Forms of the stocktake and defect pages. They parse input; the services check and save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import DateInput
from aftersales.parts.choices import DefectSource
from aftersales.parts.models import Part, Supplier, Warehouse
from aftersales.parts.selectors import part_categories


def _warehouses(user):
    return Warehouse.objects.for_user(user).filter(active=True).select_related("branch")


def _only_choice(form, name: str) -> None:
    """Pick the only choice there is (most people work in one warehouse)."""
    choices = list(form.fields[name].queryset[:2])
    if len(choices) == 1:
        form.initial.setdefault(name, choices[0].pk)


class StocktakeStartForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        help_text=_("Count one category only, or leave empty to count the whole warehouse."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses(user)
        self.fields["category"].choices = [("", _("All categories"))] + [(c, c) for c in part_categories()]
        _only_choice(self, "warehouse")


class CountSheetUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Count sheet (xlsx)"),
        help_text=_("The sheet downloaded from this stocktake, with the counted quantities filled in."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class CountForm(forms.Form):
    """One line's count as typed; blank clears it. The service checks the number."""

    counted = forms.CharField(label=_("Counted quantity"), max_length=24, required=False)


class DefectForm(forms.Form):
    part = forms.CharField(
        label=_("Part code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=2, min_value=0.01)
    source = forms.ChoiceField(label=_("Found"), choices=DefectSource.choices)
    supplier = forms.ModelChoiceField(
        label=_("Supplier"),
        queryset=Supplier.objects.none(),
        required=False,
        empty_label=_("The part's usual supplier"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    reference = forms.CharField(
        label=_("Reference"),
        max_length=80,
        required=False,
        help_text=_("The receipt or service order the part came from."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses(user)
        self.fields["supplier"].queryset = Supplier.objects.for_user(user).filter(active=True)
        _only_choice(self, "warehouse")

    def clean_part(self) -> Part:
        code = self.cleaned_data["part"].strip().upper()
        part = Part.objects.filter(code=code).select_related("supplier").first()
        if part is None:
            raise forms.ValidationError(_("No part has the code %(code)s.") % {"code": code})
        return part


class DefectSummaryForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses(user)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
