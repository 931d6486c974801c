"""Pages of the organisation: branches, positions, employees, teams and the role matrix."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.core.access import require_perm
from aftersales.core.audit import audit_history
from aftersales.core.pages import form_page, perm_required, pick, render_list
from aftersales.core.pagination import positive_int
from aftersales.org import access, selectors, services
from aftersales.org.choices import BranchKind
from aftersales.org.forms import BranchForm, EmployeeForm, PositionForm, TeamForm
from aftersales.org.models import Branch, Employee, Position, Team
from aftersales.org.roles import ROLES, role_label


def _int(value):
    return positive_int(value, None)


#: Recorded values of an employee that are not model fields.
EMPLOYEE_HISTORY_FIELDS = {"roles": (gettext_lazy("roles"), lambda codes: [role_label(c) for c in codes or []])}


def _history(obj) -> dict:
    return {"history": audit_history(obj, extra_fields=EMPLOYEE_HISTORY_FIELDS)}


# -- branches ---------------------------------------------------------------------------------------------------------


@perm_required("org.view_branch")
def branch_list(request):
    queryset = selectors.branch_list(
        user=request.user, q=request.GET.get("q", "").strip(), kind=request.GET.get("kind", "")
    )
    return render_list(
        request, "org/branch_list.html", "org/_branch_table.html", queryset, {"kinds": BranchKind.choices}
    )


@login_required
def branch_detail(request, pk):
    branch = access.branch_get_for_user_or_404(request.user, pk)
    require_perm(request.user, "org.view_branch")
    context = {
        "branch": branch,
        "children": Branch.objects.for_user(request.user).filter(parent=branch),
        "teams": Team.objects.for_user(request.user).filter(branch=branch),
        "employee_count": Employee.objects.filter(branch=branch, active=True).count(),
        **_history(branch),
    }
    return render(request, "org/branch_detail.html", context)


@perm_required("org.add_branch")
def branch_create(request):
    form = BranchForm(request.POST or None, user=request.user)
    fields = ("code", "name", "kind", "parent", "address", "phone")
    return form_page(
        request,
        form,
        lambda data: services.branch_create(actor=request.user, **pick(data, fields)),
        success=_("Branch created."),
        title=_("New branch"),
        cancel="org:branch_list",
    )


@login_required
def branch_edit(request, pk):
    branch = access.branch_get_for_user_or_404(request.user, pk)
    require_perm(request.user, "org.change_branch")
    form = BranchForm(request.POST or None, instance=branch, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.branch_update(actor=request.user, branch=branch, data=data),
        success=_("Branch saved."),
        title=_("Edit %(name)s") % {"name": branch},
        obj=branch,
    )


# -- positions --------------------------------------------------------------------------------------------------------


@perm_required("org.view_position")
def position_list(request):
    queryset = selectors.position_list(user=request.user, q=request.GET.get("q", "").strip())
    return render_list(request, "org/position_list.html", "org/_position_table.html", queryset, {})


@login_required
def position_detail(request, pk):
    position = access.position_get_or_404(request.user, pk)
    require_perm(request.user, "org.view_position")
    context = {
        "position": position,
        "subordinates": position.subordinates.all(),
        "employees": Employee.objects.for_user(request.user)
        .filter(position=position, active=True)
        .select_related("branch")[:50],
        **_history(position),
    }
    return render(request, "org/position_detail.html", context)


@perm_required("org.add_position")
def position_create(request):
    form = PositionForm(request.POST or None, user=request.user)
    fields = ("code", "name", "duties", "kpis", "reports_to", "qualifications")
    return form_page(
        request,
        form,
        lambda data: services.position_create(actor=request.user, **pick(data, fields)),
        success=_("Position created."),
        title=_("New position"),
        cancel="org:position_list",
    )


@login_required
def position_edit(request, pk):
    position = access.position_get_or_404(request.user, pk)
    require_perm(request.user, "org.change_position")
    form = PositionForm(request.POST or None, instance=position, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.position_update(actor=request.user, position=position, data=data),
        success=_("Position saved."),
        title=_("Edit %(name)s") % {"name": position},
        obj=position,
    )


# -- employees --------------------------------------------------------------------------------------------------------


@perm_required("org.view_employee")
def employee_list(request):
    active = {"1": True, "0": False, "all": None}.get(request.GET.get("active", "1"), True)
    queryset = selectors.employee_list(
        user=request.user,
        q=request.GET.get("q", "").strip(),
        branch=_int(request.GET.get("branch")),
        position=_int(request.GET.get("position")),
        role=request.GET.get("role", ""),
        active=active,
    )
    context = {
        "branches": Branch.objects.for_user(request.user).filter(active=True),
        "positions": Position.objects.for_user(request.user).filter(active=True),
        "roles": [(code, role.label) for code, role in ROLES.items()],
    }
    return render_list(request, "org/employee_list.html", "org/_employee_table.html", queryset, context)


@login_required
def employee_detail(request, pk):
    employee = access.employee_get_for_user_or_404(request.user, pk)
    require_perm(request.user, "org.view_employee")
    roles = [ROLES[code] for code in services.employee_roles(employee)]
    return render(request, "org/employee_detail.html", {"employee": employee, "roles": roles, **_history(employee)})


def _employee_form(request, *, employee=None):
    initial = {}
    if employee is not None:
        initial = {"username": employee.user.username, "roles": services.employee_roles(employee)}
    return EmployeeForm(
        request.POST or None,
        instance=employee,
        initial=initial,
        user=request.user,
        grantable=services.roles_grantable_by(request.user),
        creating=employee is None,
    )


@perm_required("org.add_employee")
def employee_create(request):
    form = _employee_form(request)
    fields = (
        "username",
        "password",
        "name",
        "employee_no",
        "branch",
        "mobile",
        "position",
        "roles",
        "team",
        "hired_on",
    )

    def save(data):
        return services.employee_create(actor=request.user, branches=list(data["branches"]), **pick(data, fields))

    return form_page(
        request,
        form,
        save,
        success=_("Employee created."),
        title=_("New employee"),
        cancel="org:employee_list",
        denied_field="roles",
    )


@login_required
def employee_edit(request, pk):
    employee = access.employee_get_for_user_or_404(request.user, pk)
    require_perm(request.user, "org.change_employee")
    form = _employee_form(request, employee=employee)

    def save(data):
        data = dict(data)
        return services.employee_update(
            actor=request.user,
            employee=employee,
            data=data,
            roles=data.pop("roles"),
            branches=list(data.pop("branches")),
            password=data.pop("password") or None,
        )

    return form_page(
        request,
        form,
        save,
        success=_("Employee saved."),
        title=_("Edit %(name)s") % {"name": employee},
        obj=employee,
        denied_field="roles",
    )


# -- teams ------------------------------------------------------------------------------------------------------------


@perm_required("org.view_team")
def team_list(request):
    queryset = selectors.team_list(
        user=request.user, q=request.GET.get("q", "").strip(), branch=_int(request.GET.get("branch"))
    )
    return render_list(
        request,
        "org/team_list.html",
        "org/_team_table.html",
        queryset,
        {"branches": Branch.objects.for_user(request.user).filter(active=True)},
    )


@login_required
def team_detail(request, pk):
    team = access.team_get_for_user_or_404(request.user, pk)
    require_perm(request.user, "org.view_team")
    members = team.members.select_related("position").order_by("employee_no")
    return render(request, "org/team_detail.html", {"team": team, "members": members, **_history(team)})


@perm_required("org.add_team")
def team_create(request):
    form = TeamForm(request.POST or None, user=request.user)
    fields = ("name", "branch", "kind", "leader")
    return form_page(
        request,
        form,
        lambda data: services.team_create(actor=request.user, **pick(data, fields)),
        success=_("Team created."),
        title=_("New team"),
        cancel="org:team_list",
    )


@login_required
def team_edit(request, pk):
    team = access.team_get_for_user_or_404(request.user, pk)
    require_perm(request.user, "org.change_team")
    form = TeamForm(request.POST or None, instance=team, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.team_update(actor=request.user, team=team, data=data),
        success=_("Team saved."),
        title=_("Edit %(name)s") % {"name": team},
        obj=team,
    )


# -- roles ------------------------------------------------------------------------------------------------------------


ACTION_LABELS = {
    "view": gettext_lazy("view"),
    "add": gettext_lazy("add"),
    "change": gettext_lazy("change"),
    "import": gettext_lazy("import"),
    "export": gettext_lazy("export"),
}


def permission_label(perm: str) -> str:
    """`customers.change_customer` → "change customer", `parts.receive_stock` → "Can receive stock", in the
    user's language: a model's own permissions by their declared name, the default ones by action and model."""
    from django.apps import apps

    app_label, codename = perm.split(".")
    for model in apps.get_app_config(app_label).get_models():
        for custom, name in model._meta.permissions:
            if custom == codename:
                return str(name)
    action, _sep, model_name = codename.partition("_")
    model = apps.get_model(app_label, model_name)
    return f"{ACTION_LABELS.get(action, action)} {model._meta.verbose_name}"


@perm_required("org.view_employee")
def role_list(request):
    """The role matrix as it is in code: each role with the permissions it carries."""
    roles = [
        {
            "code": role.code,
            "label": role.label,
            "description": role.description,
            "permissions": sorted(permission_label(p) for p in role.permissions),
        }
        for role in ROLES.values()
    ]
    return render(request, "org/role_list.html", {"roles": roles})
