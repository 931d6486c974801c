"""API of the organisation: tokens, branches, positions, employees, teams."""

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from aftersales.core.access import get_for_user_or_404
from aftersales.core.api import ErrorOut, ListOut, api_page, require_api_perm, resolve
from aftersales.org import services
from aftersales.org.models import Branch, Employee, Position, Team
from aftersales.org.roles import ROLES

auth_router = Router(tags=["auth"])
router = Router(tags=["organisation"])

BranchKindIn = Literal["store", "service_center", "office", "region", "head_office"]
TeamKindIn = Literal["workshop", "installation", "field", "office"]
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


# -- auth -------------------------------------------------------------------------------------------------------------


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


@auth_router.post("/token", auth=None, response={200: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut})
def token_create(request, payload: TokenIn):
    """Exchange a user name and password for a bearer token."""
    try:
        token = services.api_token_issue(
            username=payload.username, password=payload.password, address=_client_address(request)
        )
    except services.SigninThrottled as exc:
        from django.utils.translation import gettext as _

        raise HttpError(429, _("Too many failed sign-ins. Wait a few minutes and try again.")) from exc
    except PermissionDenied as exc:
        raise HttpError(401, str(exc)) from exc
    return {"token": token}


# -- branches ---------------------------------------------------------------------------------------------------------


class BranchOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent: int | None = Field(None, alias="parent_id")
    address: str
    phone: str
    active: bool


class BranchIn(Schema):
    code: str = Field(max_length=12)
    name: str = Field(max_length=100)
    kind: BranchKindIn = "store"
    parent: int | None = None
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)


class BranchPatch(Schema):
    code: str | None = Field(None, max_length=12)
    name: str | None = Field(None, max_length=100)
    kind: BranchKindIn | None = None
    parent: int | None = None
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)
    active: bool | None = None


def _patch_data(payload: Schema) -> dict:
    return payload.dict(exclude_unset=True)


@router.get("/branches", response={200: ListOut[BranchOut], **ERRORS})
def branch_list(request, q: str = "", page: int = 1, page_size: int = 50):
    require_api_perm(request, "org.view_branch")
    queryset = Branch.objects.for_user(request.user)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return api_page(queryset, page=page, page_size=page_size)


@router.post("/branches", response={201: BranchOut, **ERRORS})
def branch_create(request, payload: BranchIn):
    require_api_perm(request, "org.add_branch")
    parent = resolve(Branch.objects, request.user, payload.parent, "parent")
    branch = services.branch_create(actor=request.user, **{**payload.dict(), "parent": parent})
    return Status(201, branch)


@router.get("/branches/{branch_id}", response={200: BranchOut, **ERRORS})
def branch_get(request, branch_id: int):
    branch = get_for_user_or_404(Branch, request.user, pk=branch_id)
    require_api_perm(request, "org.view_branch")
    return branch


@router.patch("/branches/{branch_id}", response={200: BranchOut, **ERRORS})
def branch_patch(request, branch_id: int, payload: BranchPatch):
    branch = get_for_user_or_404(Branch, request.user, pk=branch_id)
    require_api_perm(request, "org.change_branch")
    data = _patch_data(payload)
    if "parent" in data:
        data["parent"] = resolve(Branch.objects, request.user, data["parent"], "parent")
    return services.branch_update(actor=request.user, branch=branch, data=data)


# -- positions --------------------------------------------------------------------------------------------------------


class PositionOut(Schema):
    id: int
    code: str
    name: str
    duties: str
    kpis: str
    reports_to: int | None = Field(None, alias="reports_to_id")
    qualifications: str
    active: bool


class PositionIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=60)
    duties: str = ""
    kpis: str = ""
    reports_to: int | None = None
    qualifications: str = ""


@router.get("/positions", response={200: ListOut[PositionOut], **ERRORS})
def position_list(request, q: str = "", page: int = 1, page_size: int = 50):
    require_api_perm(request, "org.view_position")
    queryset = Position.objects.for_user(request.user)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return api_page(queryset, page=page, page_size=page_size)


@router.post("/positions", response={201: PositionOut, **ERRORS})
def position_create(request, payload: PositionIn):
    require_api_perm(request, "org.add_position")
    reports_to = resolve(Position.objects, request.user, payload.reports_to, "reports_to")
    return Status(201, services.position_create(actor=request.user, **{**payload.dict(), "reports_to": reports_to}))


@router.get("/positions/{position_id}", response={200: PositionOut, **ERRORS})
def position_get(request, position_id: int):
    position = get_for_user_or_404(Position, request.user, pk=position_id)
    require_api_perm(request, "org.view_position")
    return position


# -- employees --------------------------------------------------------------------------------------------------------


class EmployeeOut(Schema):
    id: int
    username: str
    name: str
    employee_no: str
    mobile: str
    branch: int
    branches: list[int]
    position: int | None
    roles: list[str]
    team: int | None
    active: bool
    hired_on: datetime.date | None


def employee_out(employee: Employee) -> dict:
    return {
        "id": employee.pk,
        "username": employee.user.username,
        "name": employee.name,
        "employee_no": employee.employee_no,
        "mobile": employee.mobile,
        "branch": employee.branch_id,
        "branches": sorted(b.pk for b in employee.branches.all()),
        "position": employee.position_id,
        "roles": sorted(g.name for g in employee.user.groups.all() if g.name in ROLES),
        "team": employee.team_id,
        "active": employee.active,
        "hired_on": employee.hired_on,
    }


class EmployeeIn(Schema):
    username: str = Field(max_length=150)
    password: str
    name: str = Field(max_length=60)
    employee_no: str = Field(max_length=20)
    mobile: str = ""
    branch: int
    branches: list[int] = []
    position: int | None = None
    roles: list[str] = []
    team: int | None = None
    hired_on: datetime.date | None = None


class EmployeePatch(Schema):
    password: str | None = None
    name: str | None = Field(None, max_length=60)
    employee_no: str | None = Field(None, max_length=20)
    mobile: str | None = None
    branch: int | None = None
    branches: list[int] | None = None
    position: int | None = None
    roles: list[str] | None = None
    team: int | None = None
    active: bool | None = None
    hired_on: datetime.date | None = None


def _employee_queryset():
    return Employee.objects.select_related("user").prefetch_related("branches", "user__groups")


def _resolve_employee_refs(request, data: dict) -> dict:
    user = request.user
    if "branch" in data:
        data["branch"] = resolve(Branch.objects, user, data["branch"], "branch")
    if "branches" in data and data["branches"] is not None:
        data["branches"] = [resolve(Branch.objects, user, pk, "branches") for pk in data["branches"]]
    if "position" in data:
        data["position"] = resolve(Position.objects, user, data["position"], "position")
    if "team" in data:
        data["team"] = resolve(Team.objects, user, data["team"], "team")
    return data


@router.get("/employees", response={200: ListOut[EmployeeOut], **ERRORS})
def employee_list(request, q: str = "", branch: int | None = None, page: int = 1, page_size: int = 50):
    require_api_perm(request, "org.view_employee")
    queryset = _employee_queryset().for_user(request.user)
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q) | Q(employee_no__icontains=q) | Q(mobile__contains=q) | Q(user__username__icontains=q)
        )
    if branch:
        queryset = queryset.filter(branch_id=branch)
    return api_page(queryset, page=page, page_size=page_size, serialize=employee_out)


@router.post("/employees", response={201: EmployeeOut, **ERRORS})
def employee_create(request, payload: EmployeeIn):
    require_api_perm(request, "org.add_employee")
    data = _resolve_employee_refs(request, payload.dict())
    employee = services.employee_create(actor=request.user, **data)
    return Status(201, employee_out(get_for_user_or_404(_employee_queryset(), request.user, pk=employee.pk)))


@router.get("/employees/{employee_id}", response={200: EmployeeOut, **ERRORS})
def employee_get(request, employee_id: int):
    employee = get_for_user_or_404(_employee_queryset(), request.user, pk=employee_id)
    require_api_perm(request, "org.view_employee")
    return employee_out(employee)


@router.patch("/employees/{employee_id}", response={200: EmployeeOut, **ERRORS})
def employee_patch(request, employee_id: int, payload: EmployeePatch):
    employee = get_for_user_or_404(_employee_queryset(), request.user, pk=employee_id)
    require_api_perm(request, "org.change_employee")
    data = _resolve_employee_refs(request, _patch_data(payload))
    services.employee_update(
        actor=request.user,
        employee=employee,
        data=data,
        roles=data.pop("roles", None),
        branches=data.pop("branches", None),
        password=data.pop("password", None),
    )
    return employee_out(get_for_user_or_404(_employee_queryset(), request.user, pk=employee.pk))


# -- teams ------------------------------------------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    branch: int
    kind: str
    leader: int | None
    members: list[int]
    active: bool


def team_out(team: Team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "branch": team.branch_id,
        "kind": team.kind,
        "leader": team.leader_id,
        "members": sorted(m.pk for m in team.members.all()),
        "active": team.active,
    }


class TeamIn(Schema):
    name: str = Field(max_length=60)
    branch: int
    kind: TeamKindIn = "workshop"
    leader: int | None = None


class TeamPatch(Schema):
    name: str | None = Field(None, max_length=60)
    branch: int | None = None
    kind: TeamKindIn | None = None
    leader: int | None = None
    active: bool | None = None


def _team_queryset():
    return Team.objects.prefetch_related("members")


@router.get("/teams", response={200: ListOut[TeamOut], **ERRORS})
def team_list(request, q: str = "", branch: int | None = None, page: int = 1, page_size: int = 50):
    require_api_perm(request, "org.view_team")
    queryset = _team_queryset().for_user(request.user)
    if q:
        queryset = queryset.filter(name__icontains=q)
    if branch:
        queryset = queryset.filter(branch_id=branch)
    return api_page(queryset, page=page, page_size=page_size, serialize=team_out)


@router.post("/teams", response={201: TeamOut, **ERRORS})
def team_create(request, payload: TeamIn):
    require_api_perm(request, "org.add_team")
    branch = resolve(Branch.objects, request.user, payload.branch, "branch")
    leader = resolve(Employee.objects, request.user, payload.leader, "leader")
    team = services.team_create(actor=request.user, name=payload.name, branch=branch, kind=payload.kind, leader=leader)
    return Status(201, team_out(team))


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def team_get(request, team_id: int):
    team = get_for_user_or_404(_team_queryset(), request.user, pk=team_id)
    require_api_perm(request, "org.view_team")
    return team_out(team)


@router.patch("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def team_patch(request, team_id: int, payload: TeamPatch):
    team = get_for_user_or_404(_team_queryset(), request.user, pk=team_id)
    require_api_perm(request, "org.change_team")
    data = _patch_data(payload)
    if "branch" in data:
        data["branch"] = resolve(Branch.objects, request.user, data["branch"], "branch")
    if "leader" in data:
        data["leader"] = resolve(Employee.objects, request.user, data["leader"], "leader")
    services.team_update(actor=request.user, team=team, data=data)
    return team_out(get_for_user_or_404(_team_queryset(), request.user, pk=team.pk))
