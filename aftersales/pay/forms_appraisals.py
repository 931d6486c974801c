"""Forms of the appraisal pages. They parse input; the services in `pay.services.appraisals` check and save."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.access import visible_branch_ids
from aftersales.org.models import Employee, Position
from aftersales.pay.choices import ItemSource, PeriodKind
from aftersales.pay.metrics import METRICS
from aftersales.pay.models import AppraisalForm

SCORE_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


def appraisable_employees(user):
    """Active employees of the branches the user sees (their appraisals are scoped by the main branch), not the
    user themself."""
    queryset = Employee.objects.filter(active=True).exclude(user_id=user.pk)
    ids = visible_branch_ids(user)
    if ids is not None:
        queryset = queryset.filter(branch__in=sorted(ids))
    return queryset.only("pk", "name", "employee_no").order_by("employee_no")


class AppraisalCreateForm(forms.Form):
    employee = forms.ModelChoiceField(label=_("Employee"), queryset=Employee.objects.none())
    kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.MONTHLY)
    period = forms.CharField(
        label=_("Month or year"),
        max_length=7,
        help_text=_("2026-11 for a month, 2026 for a year."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "2026-11"}),
    )
    form = forms.ModelChoiceField(
        label=_("Appraisal form"),
        queryset=AppraisalForm.objects.none(),
        required=False,
        empty_label=_("The form of the employee's position"),
        help_text=_("Scored item by item: the employee assesses themself, then the manager scores."),
    )
    score = forms.CharField(
        label=_("Score (0–100)"),
        required=False,
        max_length=8,
        help_text=_("Or give the score as a whole now: it is recorded as the manager's, ready for HR to confirm."),
        widget=forms.TextInput(attrs=SCORE_ATTRS),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = appraisable_employees(user)
        self.fields["form"].queryset = AppraisalForm.objects.filter(active=True).order_by("name")
        self.initial.setdefault("period", timezone.localdate().strftime("%Y-%m"))


def _score_field(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=8, widget=forms.TextInput(attrs=SCORE_ATTRS))


class ScoresForm(forms.Form):
    """Self-assessment or the manager's scoring: one score per manual item (`item_N`), or one `score` for an
    appraisal without items; and a comment. `key` is the service's name of an item's score field."""

    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, appraisal, key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.field_map = {"score": "score", "reason": "comment"}
        fields = {}
        previous = "self_score" if key == "self_score" else "manager_score"
        for number, item in enumerate(appraisal.items):
            if item["source"] != ItemSource.MANUAL:
                continue
            name = f"item_{number}"
            fields[name] = _score_field(f"{item['name']} ({_('weight')} {item['weight']})")
            if item.get(previous) is not None:
                self.initial.setdefault(name, item[previous])
            self.field_map[f"items.{number}.{key}"] = name
            self.field_map[f"items.{number}.score"] = name
        if not appraisal.items:
            fields["score"] = _score_field(_("Score (0–100)"))
            current = appraisal.self_score if key == "self_score" else appraisal.score
            if current is not None:
                self.initial.setdefault("score", current)
        self.fields = {**fields, "comment": self.fields["comment"]}
        comment = appraisal.self_comment if key == "self_score" else appraisal.manager_comment
        if comment:
            self.initial.setdefault("comment", comment)

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        scores = {int(name[5:]): data[name] for name in data if name.startswith("item_")}
        return {"scores": scores, "score": data.get("score") or None, "comment": data.get("comment", "")}


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Why does it go back?"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    field_map = {"reason": "reason"}

    def __init__(self, *args, appraisal=None, **kwargs):
        super().__init__(*args, **kwargs)

    def data_for_service(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class ConfirmForm(forms.Form):
    field_map: dict = {}

    def __init__(self, *args, appraisal=None, **kwargs):
        super().__init__(*args, **kwargs)

    def data_for_service(self) -> dict:
        return {}


def action_form(action: str, appraisal, data=None) -> forms.Form:
    if action == "self_assess":
        return ScoresForm(data, appraisal=appraisal, key="self_score", prefix="self")
    if action == "review":
        return ScoresForm(data, appraisal=appraisal, key="score", prefix="review")
    if action == "return":
        return ReturnForm(data, prefix="return")
    return ConfirmForm(data)


# -- appraisal forms (考核表) ----------------------------------------------------------------------------------------


class AppraisalFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.ModelChoiceField(
        label=_("Position"),
        queryset=Position.objects.none(),
        required=False,
        empty_label=_("Any position"),
        help_text=_("New appraisals of this position use this form unless another is chosen."),
    )
    kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.MONTHLY)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = Position.objects.filter(active=True).order_by("code")


def metric_choices():
    return [("", "—")] + [(key, f"{key} ({metric.unit})") for key, metric in METRICS.items()]


class ItemForm(forms.Form):
    """One row of the items table; a row left empty is dropped."""

    name = forms.CharField(label=_("Item"), max_length=100, required=False)
    weight = forms.CharField(
        label=_("Weight"), max_length=10, required=False, widget=forms.TextInput(attrs=SCORE_ATTRS)
    )
    source = forms.ChoiceField(label=_("Scored"), choices=ItemSource.choices, required=False)
    metric = forms.ChoiceField(label=_("Metric"), required=False)
    rule = forms.CharField(
        label=_("Scoring rule"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "MIN(督查次数 / 10, 1) × 100", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metric_choices()

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any((data.get(name) or "").strip() for name in ("name", "weight", "metric", "rule"))


ItemFormSet = forms.formset_factory(ItemForm, extra=0, max_num=50, absolute_max=60)
