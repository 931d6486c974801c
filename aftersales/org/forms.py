"""Forms of the organisation pages. They parse input; the services validate and save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.forms import DateInput, ServiceModelForm
from aftersales.org.choices import BranchKind
from aftersales.org.models import Branch, Employee, Position, Team
from aftersales.org.roles import ROLES


def _branches(user):
    return Branch.objects.for_user(user).filter(active=True)


def _umbrella_branches(user):
    return Branch.objects.for_user(user).filter(kind__in=[BranchKind.REGION, BranchKind.HEAD_OFFICE])


class BranchForm(ServiceModelForm):
    restrict_to = {"parent": _umbrella_branches}

    class Meta:
        model = Branch
        fields = ["code", "name", "kind", "parent", "address", "phone", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.user is not None and not self.user.has_perm("org.add_branch"):
            self.fields[
                "parent"
            ].disabled = True  # moving a branch between regions is a regional decision (see branch_update)


class PositionForm(ServiceModelForm):
    restrict_to = {"reports_to": lambda user: Position.objects.for_user(user)}

    class Meta:
        model = Position
        fields = ["code", "name", "duties", "kpis", "reports_to", "qualifications", "active"]
        widgets = {
            "duties": forms.Textarea(attrs={"rows": 8}),
            "kpis": forms.Textarea(attrs={"rows": 4}),
            "qualifications": forms.Textarea(attrs={"rows": 3}),
        }


class TeamForm(ServiceModelForm):
    restrict_to = {
        "branch": _branches,
        "leader": lambda user: Employee.objects.for_user(user).filter(active=True),
    }

    class Meta:
        model = Team
        fields = ["name", "branch", "kind", "leader", "active"]


class EmployeeForm(ServiceModelForm):
    """Create and edit a person: account, branch(es), position, team and roles."""

    username = forms.CharField(label=_("user name"), max_length=150)
    password = forms.CharField(
        label=_("password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text=_("At least 8 characters. Leave empty to keep the current password."),
    )
    roles = forms.MultipleChoiceField(label=_("roles"), required=False, widget=forms.CheckboxSelectMultiple)

    restrict_to = {
        "branch": _branches,
        "branches": _branches,
        "team": lambda user: Team.objects.for_user(user).filter(active=True).select_related("branch"),
        "position": lambda user: Position.objects.for_user(user).filter(active=True),
    }

    class Meta:
        model = Employee
        fields = ["employee_no", "name", "mobile", "branch", "branches", "position", "team", "hired_on", "active"]
        widgets = {
            "hired_on": DateInput(),
            "branches": forms.CheckboxSelectMultiple,
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        }

    def __init__(self, *args, grantable: set[str] | None = None, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        current = set(self.initial.get("roles") or [])
        allowed = (grantable or set()) | current
        self.fields["roles"].choices = [(code, role.label) for code, role in ROLES.items() if code in allowed]
        if creating:
            self.fields["password"].required = True
            self.fields["password"].help_text = _("At least 8 characters, not only digits.")
            self.fields.pop("active")
        else:
            self.fields["username"].disabled = True
