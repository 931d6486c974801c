"""Forms of the audit pages. They parse; `quality.services` checks and saves, and its errors come back beside these
fields (an item row's errors beside that row)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import DateInput
from aftersales.org.choices import UMBRELLA_KINDS
from aftersales.org.models import Branch, Employee, Team
from aftersales.quality.choices import FineSplit

MONEY_INPUT = {"step": "0.01", "inputmode": "decimal", "min": "0"}
#: Blank item rows offered on a new checklist, and below the items of one being edited.
BLANK_ROWS_NEW = 8
BLANK_ROWS_EDIT = 3


class ChecklistForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Short and unique, e.g. 4S."))
    name = forms.CharField(label=_("Name"), max_length=100)
    fine_amount = forms.DecimalField(
        label=_("Fine per violation"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs=MONEY_INPUT),
        help_text=_("Fined from the audited team for each violation and paid to the auditor."),
    )
    is_default = forms.BooleanField(
        label=_("Default checklist"),
        required=False,
        help_text=_("Audits use this checklist unless another one is chosen."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]  # an audit's checklist is known by its code: it does not change


class ItemForm(forms.Form):
    """One row of the checklist's items; a row left blank is ignored."""

    code = forms.CharField(label=_("Code"), max_length=20, required=False)
    text = forms.CharField(label=_("Item"), max_length=200, required=False)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("code") or "").strip() and not (data.get("text") or "").strip()


ItemFormSet = forms.formset_factory(ItemForm, extra=0, can_delete=True)


def settings_branches(user):
    """Branches whose fine split the user may set: the active stores and stations they see."""
    return Branch.objects.for_user(user).filter(active=True).exclude(kind__in=UMBRELLA_KINDS).order_by("code")


class SettingsForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    fine_split = forms.ChoiceField(label=_("A team's fine is"), choices=FineSplit.choices)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = settings_branches(user)


class EmployeeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.employee_no})"


class AuditForm(forms.Form):
    """An audit of one order; the violated items come from the checklist's rows (`violated`, `note-<code>`)."""

    auditor = EmployeeChoiceField(label=_("Auditor"), queryset=Employee.objects.none())
    team = forms.ModelChoiceField(
        label=_("Audited team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("The team that did the work: it bears the fines."),
    )
    audited_on = forms.DateField(label=_("Audit date"), widget=DateInput())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        branch_id = order.branch_id
        self.fields["auditor"].queryset = (
            Employee.objects.filter(active=True)
            .filter(Q(branch_id=branch_id) | Q(branches=branch_id))
            .distinct()
            .order_by("employee_no")
        )
        self.fields["team"].queryset = Team.objects.filter(
            Q(branch_id=branch_id, active=True) | Q(pk=order.team_id)
        ).order_by("name")


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PhotoForm(forms.Form):
    image = forms.FileField(label=_("Photo"))
