"""Forms of the pay pages (policies, piece rates, inputs, runs, adjustments). They only parse; the services in
`pay.services` check and save."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import visible_branch_ids
from aftersales.org.models import Branch, Employee, Position
from aftersales.pay.choices import InputSource, PeriodKind, RunStatus
from aftersales.pay.metrics import METRICS
from aftersales.pay.models import PayRun

MONEY_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}
APPRAISAL_KEYS = {"monthly": "月考核分", "annual": "年终考核分"}


def _branches(user):
    return Branch.objects.for_user(user).filter(active=True).order_by("code")


def _only_choice(form, name: str) -> None:
    """Pick the only choice there is, else the user's own branch."""
    field = form.fields[name]
    choices = list(field.queryset[:2])
    if len(choices) == 1:
        form.initial.setdefault(name, choices[0].pk)
    elif getattr(form, "user", None) is not None and hasattr(form.user, "employee"):
        form.initial.setdefault(name, form.user.employee.branch_id)


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def month_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label=kwargs.pop("label", _("Month")),
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-11", "autocomplete": "off", "size": 8}),
        **kwargs,
    )


# -- policies ---------------------------------------------------------------------------------------------------------


class PolicyForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.ModelChoiceField(label=_("Position"), queryset=Position.objects.none())
    kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.MONTHLY)
    sheet = forms.CharField(
        label=_("Policy"),
        help_text=_(
            "Paste the policy as it is written: one line per item, 名称 = 公式. Chinese names, × ÷ %, full-width "
            "brackets and IF(条件, 是, 否) are understood; lines may be in any order and use each other."
        ),
        widget=forms.Textarea(attrs={"rows": 12, "class": "mono", "spellcheck": "false", "style": "width:100%"}),
    )
    total = forms.CharField(
        label=_("Total line"),
        max_length=60,
        help_text=_("The line whose value is paid, e.g. 月收入."),
        widget=forms.TextInput(attrs={"list": "sheet-lines", "autocomplete": "off"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = Position.objects.filter(active=True).order_by("name")
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False

    def clean_sheet(self) -> str:
        """The policy as pasted, with the browser's line ends (CR LF) as plain ones."""
        return self.cleaned_data["sheet"].replace("\r\n", "\n").replace("\r", "\n")


class BindingForm(forms.Form):
    """Where one input of the sheet comes from. `name` is the input; `key` the metric, the appraisal score or the
    manual input's name; `value` a constant's value."""

    name = forms.CharField(widget=forms.HiddenInput, max_length=60)
    source = forms.ChoiceField(label=_("Source"), choices=InputSource.choices)
    key = forms.CharField(
        label=_("Metric or input"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"list": "binding-keys", "autocomplete": "off", "size": 14}),
    )
    value = forms.CharField(
        label=_("Constant value"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={**MONEY_ATTRS, "size": 8}),
    )

    def binding(self) -> dict:
        data = self.cleaned_data
        binding = {"source": data["source"]}
        if data["source"] == InputSource.CONSTANT:
            binding["value"] = (data.get("value") or "").strip()
        else:
            binding["key"] = (data.get("key") or "").strip()
        return binding


def binding_initial(name: str, binding: dict) -> dict:
    """A stored (or default) binding as the form shows it: appraisal keys by the score's name."""
    key = binding.get("key", "")
    if binding.get("source") == InputSource.APPRAISAL:
        key = APPRAISAL_KEYS.get(key, key)
    return {"name": name, "source": binding.get("source", ""), "key": key, "value": binding.get("value", "")}


def metric_choices() -> list[str]:
    return list(METRICS)


class TryForm(forms.Form):
    """The "try it" box of a policy: one value per input (`input_N` in the order of `names`)."""

    def __init__(self, *args, names: list[str], defaults: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.names = names
        defaults = defaults or {}
        for index, name in enumerate(names):
            self.fields[f"input_{index}"] = forms.DecimalField(
                label=name,
                max_digits=16,
                decimal_places=4,
                initial=defaults.get(name),
                widget=forms.TextInput(attrs={**MONEY_ATTRS, "size": 10}),
            )

    def values(self) -> dict:
        return {name: self.cleaned_data[f"input_{index}"] for index, name in enumerate(self.names)}


# -- piece rates ------------------------------------------------------------------------------------------------------


class PieceRateForm(forms.Form):
    product_type = forms.CharField(
        label=_("Product type"),
        max_length=60,
        required=False,
        help_text=_("Leave empty for the rate of every other product type."),
    )
    rate = forms.DecimalField(
        label=_("Rate per installation"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.TextInput(attrs=MONEY_ATTRS),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


# -- manual inputs ----------------------------------------------------------------------------------------------------


class InputPickForm(forms.Form):
    """Which grid the inputs page shows: a branch, a month and the input names (业绩奖, or several)."""

    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    month = month_field()
    names = forms.CharField(
        label=_("Inputs"),
        max_length=200,
        help_text=_("One or more input names, separated by commas, e.g. 业绩奖."),
        widget=forms.TextInput(attrs={"list": "input-names", "autocomplete": "off"}),
    )

    def __init__(self, *args, user=None, default_names: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["branch"].queryset = _branches(user)
        _only_choice(self, "branch")
        self.initial.setdefault("month", this_month())
        if default_names:
            self.initial.setdefault("names", default_names)


class InputImportForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    month = month_field()
    file = forms.FileField(
        label=_("xlsx file"),
        help_text=_("At most 10 MB: the columns 工号, 姓名 and one column per input, as in the template."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["branch"].queryset = _branches(user)
        _only_choice(self, "branch")
        self.initial.setdefault("month", this_month())


# -- runs -------------------------------------------------------------------------------------------------------------


class RunCreateForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    kind = forms.ChoiceField(
        label=_("Run"),
        choices=[(PeriodKind.MONTHLY, _("Monthly pay")), (PeriodKind.ANNUAL, _("Year-end pay"))],
        initial=PeriodKind.MONTHLY,
    )
    month = month_field(required=False, help_text=_("For a monthly run, e.g. 2026-11."))
    year = forms.CharField(
        label=_("Year"),
        max_length=4,
        required=False,
        help_text=_("For a year-end run, e.g. 2026."),
        widget=forms.TextInput(attrs={"placeholder": "2026", "autocomplete": "off", "size": 6}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["branch"].queryset = _branches(user)
        _only_choice(self, "branch")
        self.initial.setdefault("month", this_month())

    def clean(self):
        data = super().clean()
        if data.get("kind") == PeriodKind.ANNUAL:
            if not (data.get("year") or "").strip():
                self.add_error("year", _("Enter a year like 2026."))
        elif not (data.get("month") or "").strip():
            self.add_error("month", _("Enter a month like 2026-11."))
        return data

    @property
    def period(self) -> str:
        data = self.cleaned_data
        return (data["year"] if data["kind"] == PeriodKind.ANNUAL else data["month"]).strip()


# -- adjustments ------------------------------------------------------------------------------------------------------


def visible_employees(user):
    queryset = Employee.objects.filter(active=True)
    ids = visible_branch_ids(user)
    if ids is not None:
        queryset = queryset.filter(branch__in=sorted(ids))
    return queryset.only("pk", "name", "employee_no").order_by("employee_no")


class EmployeeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.employee_no} {obj.name}"


class RunChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.number} · {obj.period}"


class AdjustmentForm(forms.Form):
    employee = EmployeeChoiceField(label=_("Employee"), queryset=Employee.objects.none())
    month = month_field(label=_("Paid in month"), help_text=_("The month whose pay run pays (or deducts) it."))
    amount = forms.CharField(
        label=_("Amount"),
        max_length=20,
        help_text=_("Negative to deduct, e.g. -50.00."),
        widget=forms.TextInput(attrs=MONEY_ATTRS),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    corrects = RunChoiceField(
        label=_("Corrects run"), queryset=PayRun.objects.none(), required=False, empty_label=_("None")
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = visible_employees(user)
        self.fields["corrects"].queryset = (
            PayRun.objects.for_user(user).filter(status=RunStatus.LOCKED).order_by("-period_start", "-id")
        )
        self.initial.setdefault("month", this_month())
