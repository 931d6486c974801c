"""Test helpers shared by every app: people in roles, API clients, and the role × branch matrix walker.

`walk_role_matrix` asks one URL as anonymous, as every role of the role matrix in the object's own
branch, and as the same role in another branch, and checks each answer: anonymous users are sent
to sign in (pages) or get 401 (API); a role that may act gets `ok`; a role that may not gets 403;
anyone from another branch gets 404. It returns every mismatch, so one assert shows the whole table.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.test import Client

from aftersales.org.roles import ROLES

ALL_ROLES = tuple(ROLES)
PASSWORD = "Test@pass-2026"


def make_person(*, role: str | Iterable[str] | None, branch, username: str | None = None, superuser=False):
    """A user with an employee record in `branch` holding `role` (a code, several codes, or none)."""
    from django.contrib.auth.models import Group

    from aftersales.org.models import Employee, User

    roles = [role] if isinstance(role, str) else list(role or [])
    count = User.objects.count() + 1
    username = username or f"{'-'.join(roles) or 'norole'}-{branch.code.lower()}-{count}"
    if superuser:
        user = User.objects.create_superuser(username=username, password=PASSWORD)
    else:
        user = User.objects.create_user(username=username, password=PASSWORD)
    Employee.objects.create(user=user, employee_no=f"T{count:05d}", name=username, branch=branch)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def page_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_client(user=None) -> Client:
    """A client that sends `Authorization: Bearer <token>` for `user` (no token for anonymous)."""
    if user is None:
        return Client()
    from aftersales.org.services import api_token_issue

    token = api_token_issue(username=user.username, password=PASSWORD, address="127.0.0.1")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@dataclass(frozen=True)
class Mismatch:
    who: str
    url: str
    expected: int
    got: int

    def __str__(self) -> str:
        return f"{self.who}: {self.url} answered {self.got}, expected {self.expected}"


def walk_role_matrix(
    *,
    own_url: str,
    other_url: str | None,
    allowed: Iterable[str],
    own_branch,
    other_branch,
    send: Callable[[Client, str], object],
    client_for: Callable = page_client,
    ok: int | tuple[int, ...] = 200,
    anonymous: int = 302,
    roles: Iterable[str] = ALL_ROLES,
) -> list[Mismatch]:
    """Walk anonymous + every role × (own branch, other branch) for one action; return what differed.

    `own_url` targets an object (or list) of `own_branch`; `other_url` the same kind of object in
    `other_branch` (None for lists, which have no other-branch object). `send(client, url)` performs
    the request. Users of `other_branch` asking `own_url` must get 404 whatever their role.
    """
    allowed = set(allowed)
    ok_codes = ok if isinstance(ok, tuple) else (ok,)
    mismatches: list[Mismatch] = []

    def check(who, client, url, expected: tuple[int, ...]):
        response = send(client, url)
        if response.status_code not in expected:
            mismatches.append(Mismatch(who, url, expected[0], response.status_code))

    check("anonymous", client_for(None), own_url, (anonymous,))
    for role in roles:
        own_user = make_person(role=role, branch=own_branch)
        check(f"{role}@own", client_for(own_user), own_url, ok_codes if role in allowed else (403,))
        if other_url is not None:
            check(f"{role}@own→other", client_for(own_user), other_url, (404,))
    return mismatches
