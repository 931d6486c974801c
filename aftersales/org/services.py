"""Writes of the organisation: roles, branches, positions, teams, employees, API tokens, sign-in throttling.

Every function here is a use case: keyword-only arguments, the acting user passed in, one transaction,
permission and branch checks first, an audit event for each change.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.access import forget_visible_branches, require_perm
from aftersales.core.audit import audit_created, audit_record, model_update
from aftersales.core.models import AuditAction
from aftersales.org.access import user_sees_branch
from aftersales.org.choices import BranchKind
from aftersales.org.models import ApiToken, Branch, Employee, Position, Team, User
from aftersales.org.roles import ROLES

BRANCH_FIELDS = ("code", "name", "kind", "parent", "address", "phone", "active")
POSITION_FIELDS = ("code", "name", "duties", "kpis", "reports_to", "qualifications", "active")
TEAM_FIELDS = ("name", "branch", "kind", "leader", "active")
EMPLOYEE_FIELDS = ("employee_no", "name", "mobile", "branch", "position", "team", "active", "hired_on")


# -- roles ------------------------------------------------------------------------------------------------------------


def roles_sync(*, using: str = "default") -> None:
    """Make each role's group carry exactly the permissions of the role matrix (idempotent)."""
    wanted = {code: role.permissions for code, role in ROLES.items()}
    all_perms = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for code, perms in wanted.items():
        missing = sorted(p for p in perms if p not in all_perms)
        if missing:
            raise ValueError(f"role {code} names unknown permissions: {missing}")
        group, _created = Group.objects.using(using).get_or_create(name=code)
        current = set(group.permissions.values_list("pk", flat=True))
        target = {all_perms[p] for p in perms}
        if current != target:
            group.permissions.set(target)


def roles_grantable_by(actor) -> set[str]:
    """The roles a user may give: those whose permissions they hold themselves."""
    if actor.is_superuser:
        return set(ROLES)
    held = actor.get_all_permissions()
    return {code for code, role in ROLES.items() if role.permissions <= held}


def _check_roles(actor, roles: list[str], *, current: set[str] | None = None) -> list[str]:
    unknown = [code for code in roles if code not in ROLES]
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(codes)s.") % {"codes": ", ".join(unknown)}})
    changed = set(roles) ^ (current or set())
    refused = sorted(changed - roles_grantable_by(actor))
    if refused:
        raise PermissionDenied(_("You may not grant or remove these roles: %(codes)s.") % {"codes": ", ".join(refused)})
    return sorted(set(roles))


def _set_roles(user: User, roles: list[str]) -> None:
    user.groups.set(Group.objects.filter(name__in=roles))


# -- branches ---------------------------------------------------------------------------------------------------------


def _require_visible_branch(actor, branch: Branch | None, field: str) -> None:
    if branch is not None and not user_sees_branch(actor, branch.pk):
        raise ValidationError({field: _("Choose a branch you work for.")})


@transaction.atomic
def branch_create(
    *, actor, code: str, name: str, kind: str, parent: Branch | None = None, address: str = "", phone: str = ""
) -> Branch:
    require_perm(actor, "org.add_branch")
    if parent is None and not actor.is_superuser:
        raise ValidationError({"parent": _("Choose the region the new branch belongs to.")})
    _require_visible_branch(actor, parent, "parent")
    branch = Branch(
        code=code.strip().upper(), name=name.strip(), kind=kind, parent=parent, address=address, phone=phone
    )
    branch.full_clean()
    branch.save()
    forget_visible_branches(actor)
    audit_created(actor=actor, instance=branch, fields=BRANCH_FIELDS)
    _branch_warehouse_create(branch)
    return branch


def _branch_warehouse_create(branch: Branch) -> None:
    """Every branch is born with its default warehouse (the parts app owns warehouses)."""
    from aftersales.parts.services.catalogue import warehouse_default_for

    warehouse_default_for(branch)


@transaction.atomic
def branch_update(*, actor, branch: Branch, data: dict) -> Branch:
    require_perm(actor, "org.change_branch")
    data = {key: value for key, value in data.items() if key in BRANCH_FIELDS}
    if "code" in data:
        data["code"] = data["code"].strip().upper()
    if "parent" in data and data["parent"] != branch.parent:
        if not actor.is_superuser:
            require_perm(actor, "org.add_branch")  # moving a branch between regions is a regional decision
            if data["parent"] is None and data.get("kind", branch.kind) != BranchKind.HEAD_OFFICE:
                raise ValidationError({"parent": _("Choose the region the branch belongs to.")})
        _require_visible_branch(actor, data["parent"], "parent")
    model_update(instance=branch, data=data, actor=actor)
    forget_visible_branches(actor)
    return branch


# -- positions --------------------------------------------------------------------------------------------------------


@transaction.atomic
def position_create(
    *,
    actor,
    code: str,
    name: str,
    duties: str = "",
    kpis: str = "",
    reports_to: Position | None = None,
    qualifications: str = "",
) -> Position:
    require_perm(actor, "org.add_position")
    position = Position(
        code=code.strip(),
        name=name.strip(),
        duties=duties,
        kpis=kpis,
        reports_to=reports_to,
        qualifications=qualifications,
    )
    position.full_clean()
    position.save()
    audit_created(actor=actor, instance=position, fields=POSITION_FIELDS)
    return position


@transaction.atomic
def position_update(*, actor, position: Position, data: dict) -> Position:
    require_perm(actor, "org.change_position")
    model_update(instance=position, data={k: v for k, v in data.items() if k in POSITION_FIELDS}, actor=actor)
    return position


# -- teams ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, actor, name: str, branch: Branch, kind: str = "workshop", leader: Employee | None = None) -> Team:
    require_perm(actor, "org.add_team")
    _require_visible_branch(actor, branch, "branch")
    team = Team(name=name.strip(), branch=branch, kind=kind, leader=leader)
    team.full_clean()
    team.save()
    audit_created(actor=actor, instance=team, fields=TEAM_FIELDS)
    return team


@transaction.atomic
def team_update(*, actor, team: Team, data: dict) -> Team:
    require_perm(actor, "org.change_team")
    data = {k: v for k, v in data.items() if k in TEAM_FIELDS}
    if "branch" in data:
        _require_visible_branch(actor, data["branch"], "branch")
    model_update(instance=team, data=data, actor=actor)
    return team


# -- employees --------------------------------------------------------------------------------------------------------


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


@transaction.atomic
def employee_create(
    *,
    actor,
    username: str,
    password: str,
    name: str,
    employee_no: str,
    branch: Branch,
    mobile: str = "",
    position: Position | None = None,
    roles: list[str] | None = None,
    team: Team | None = None,
    branches: list[Branch] | None = None,
    hired_on=None,
) -> Employee:
    require_perm(actor, "org.add_employee")
    _require_visible_branch(actor, branch, "branch")
    for extra in branches or []:
        _require_visible_branch(actor, extra, "branches")
    roles = _check_roles(actor, roles or [])
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(username=username, first_name=name[:150])
    _check_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    employee = Employee(
        user=user,
        employee_no=employee_no.strip(),
        name=name.strip(),
        mobile=mobile,
        branch=branch,
        position=position,
        team=team,
        hired_on=hired_on,
    )
    employee.full_clean()
    employee.save()
    employee.branches.set(branches or [])
    _set_roles(user, roles)
    audit_created(actor=actor, instance=employee, fields=EMPLOYEE_FIELDS)
    if roles:
        audit_record(
            actor=actor, instance=employee, action=AuditAction.ROLES, changes={"roles": {"before": [], "after": roles}}
        )
    return employee


def employee_roles(employee: Employee) -> list[str]:
    return sorted(group.name for group in employee.user.groups.all() if group.name in ROLES)


@transaction.atomic
def employee_update(
    *,
    actor,
    employee: Employee,
    data: dict,
    roles: list[str] | None = None,
    branches: list[Branch] | None = None,
    password: str | None = None,
) -> Employee:
    require_perm(actor, "org.change_employee")
    data = {k: v for k, v in data.items() if k in EMPLOYEE_FIELDS}
    if "branch" in data:
        _require_visible_branch(actor, data["branch"], "branch")
    if employee.user_id == actor.pk and "active" in data and not data["active"]:
        raise ValidationError({"active": _("You cannot deactivate your own account.")})
    model_update(instance=employee, data=data, actor=actor)
    if "active" in data and employee.user.is_active != employee.active:
        employee.user.is_active = employee.active
        employee.user.save(update_fields=["is_active"])
    if branches is not None:
        for extra in branches:
            _require_visible_branch(actor, extra, "branches")
        # Branches the actor cannot see are not theirs to remove: they stay as they are.
        hidden = [b for b in employee.branches.all() if not user_sees_branch(actor, b.pk)]
        branches = [*branches, *(b for b in hidden if b not in branches)]
        before = sorted(str(b) for b in employee.branches.all())
        employee.branches.set(branches)
        after = sorted(str(b) for b in branches)
        if before != after:
            audit_record(
                actor=actor,
                instance=employee,
                action=AuditAction.UPDATE,
                changes={"branches": {"before": before, "after": after}},
            )
    if roles is not None:
        current = set(employee_roles(employee))
        roles = _check_roles(actor, roles, current=current)
        if set(roles) != current:
            _set_roles(employee.user, roles)
            audit_record(
                actor=actor,
                instance=employee,
                action=AuditAction.ROLES,
                changes={"roles": {"before": sorted(current), "after": roles}},
            )
    if password:
        _check_password(password, employee.user)
        employee.user.set_password(password)
        employee.user.save(update_fields=["password"])
        audit_record(actor=actor, instance=employee, action=AuditAction.PASSWORD)
    return employee


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """A user changes their own password."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is wrong.")})
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    employee = Employee.objects.filter(user=user).first()
    if employee:
        audit_record(actor=user, instance=employee, action=AuditAction.PASSWORD)


# -- sign-in throttling and API tokens --------------------------------------------------------------------------------


def _throttle_key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{address}".encode()).hexdigest()[:32]
    return f"signin-failures:{digest}"


def signin_throttled(*, username: str, address: str) -> bool:
    allowed = settings.AFTERSALES["LOGIN_FAILURES_ALLOWED"]
    return cache.get(_throttle_key(username, address), 0) >= allowed


def signin_failed(*, username: str, address: str) -> None:
    key = _throttle_key(username, address)
    window = settings.AFTERSALES["LOGIN_FAILURE_WINDOW_SECONDS"]
    if cache.add(key, 1, window):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)


def signin_succeeded(*, username: str, address: str) -> None:
    cache.delete(_throttle_key(username, address))


class SigninThrottled(Exception):
    """Too many failed sign-ins for this user name from this address."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_issue(*, username: str, password: str, address: str) -> str:
    """Check the credentials and hand out a new bearer token (shown once; only its hash is kept).

    Raises `SigninThrottled` after too many failures and `PermissionDenied` for wrong credentials.
    Deliberately not one transaction: the failure count lives in the cache, which may be the database,
    and must survive the refusal (a rolled-back transaction would forget every failure).
    """
    if signin_throttled(username=username, address=address):
        raise SigninThrottled
    user = authenticate(username=username, password=password)
    if user is None:
        signin_failed(username=username, address=address)
        raise PermissionDenied(_("Wrong user name or password."))
    signin_succeeded(username=username, address=address)
    token = secrets.token_urlsafe(32)
    ttl = timedelta(hours=settings.AFTERSALES["API_TOKEN_TTL_HOURS"])
    ApiToken.objects.create(user=user, key_hash=token_hash(token), prefix=token[:8], expires_at=timezone.now() + ttl)
    return token


def api_token_user(token: str) -> User | None:
    """The active user a token belongs to, or None for an unknown, revoked or expired token."""
    now = timezone.now()
    found = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if found is None or not found.user.is_active:
        return None
    if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user
