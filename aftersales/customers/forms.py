"""Forms of the customer pages. They parse input; the services normalise, validate and save."""

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import DateInput, ServiceModelForm
from aftersales.customers.choices import ASSET_KIND_FIELDS
from aftersales.customers.models import Asset, Customer
from aftersales.org.models import Branch

VEHICLE_FIELDS = ("vin", "plate", "brand", "model", "year", "mileage", "insurance_expiry")


def _branches(user):
    return Branch.objects.for_user(user).filter(active=True)


#: What people type may be longer than what is stored: "+86 138-0013-8000", "LSV AU218X N2183294".
TYPED_MAX_LENGTH = 40


def _accept_typed_input(form, names) -> None:
    """Let identifiers through as typed (spaces, dashes, +86): the services normalise them, then check the length."""
    for name in names:
        field = form.fields.get(name)
        if field is None:
            continue
        field.max_length = TYPED_MAX_LENGTH
        field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        field.validators.append(MaxLengthValidator(TYPED_MAX_LENGTH))
        field.widget.attrs["maxlength"] = str(TYPED_MAX_LENGTH)


class CustomerForm(ServiceModelForm):
    restrict_to = {"branch": _branches}

    class Meta:
        model = Customer
        fields = ["kind", "name", "mobile", "id_number", "address", "source", "branch", "notes", "active"]
        widgets = {
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800138000"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _accept_typed_input(self, ("mobile", "id_number"))
        if creating:
            self.fields.pop("active")
            branches = list(self.fields["branch"].queryset[:2])
            if len(branches) == 1:
                self.initial.setdefault("branch", branches[0].pk)


class AssetForm(ServiceModelForm):
    confirm_vin = forms.BooleanField(
        label=_("The VIN is right as typed (its check digit does not match)"), required=False
    )

    class Meta:
        model = Asset
        fields = [
            "kind",
            "vin",
            "plate",
            "brand",
            "model",
            "year",
            "mileage",
            "insurance_expiry",
            "serial",
            "imei",
            "registration_code",
            "site",
            "order_number",
            "address",
            "notes",
            "active",
        ]
        widgets = {
            "kind": forms.Select(attrs={"data-kind-switch": ""}),
            "insurance_expiry": DateInput(),
            "vin": forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
            "plate": forms.TextInput(attrs={"placeholder": "京A12345"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _accept_typed_input(self, ("vin", "plate", "imei"))
        if creating:
            self.fields.pop("active")

    def kind_groups(self):
        """Fields grouped for the template: the common ones, then each kind's own (shown by kind)."""
        common = [self[name] for name in ("kind",)]
        specific = []
        for name, bound in ((n, self[n]) for n in self.fields if n not in ("kind", "notes", "active", "confirm_vin")):
            kinds = [kind for kind, names in ASSET_KIND_FIELDS.items() if name in names]
            specific.append((" ".join(kinds), bound))
        tail = [self[n] for n in ("notes", "active", "confirm_vin") if n in self.fields]
        return {"common": common, "specific": specific, "tail": tail}

    def asset_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "confirm_vin"}
        kinds_fields = ASSET_KIND_FIELDS.get(data.get("kind"), ())
        for name in list(data):
            if name in ("kind", "notes", "active"):
                continue
            if name not in kinds_fields:
                data[name] = None if name in ("year", "mileage", "insurance_expiry") else ""
        return data


class VehicleForm(forms.Form):
    """The first vehicle, entered on the new-customer page (optional: leave it empty to skip).

    Its fields are the vehicle fields of `Asset` (same labels and limits as the asset pages).
    """

    prefix = "vehicle"
    confirm_vin = forms.BooleanField(
        label=_("The VIN is right as typed (its check digit does not match)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(Asset, fields=VEHICLE_FIELDS, widgets=AssetForm.Meta.widgets)
        for field in fields.values():
            field.required = False
        self.fields = {**fields, "confirm_vin": self.fields["confirm_vin"]}
        _accept_typed_input(self, ("vin", "plate"))

    def vehicle_data(self) -> dict | None:
        data = {name: self.cleaned_data.get(name) for name in VEHICLE_FIELDS}
        if not any(value not in (None, "") for value in data.values()):
            return None
        return {k: ("" if v is None and k in ("vin", "plate", "brand", "model") else v) for k, v in data.items()}


class ImportUploadForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("branch"), queryset=Branch.objects.none())
    file = forms.FileField(
        label=_("xlsx file"),
        help_text=_("At most 10 MB; use the template's columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = _branches(user)
        branches = list(self.fields["branch"].queryset[:2])
        if len(branches) == 1:
            self.initial.setdefault("branch", branches[0].pk)
