"""Pages: the progress board (维修作业进度看板) — every open order of a branch for the workshop's big screen.

- `board_page` (signed in, may see orders): the branch's board inside the app, order numbers linking to the orders;
  `?screen=1` gives the same board full screen, without the navigation.
- `board_public` (no sign-in): the board behind the branch's secret link (`services.setup.board_branch_for_token`),
  plates partly masked, no customer named, no link into the app, no navigation; an unknown, revoked or rotated
  token is a 404, and only GET is answered.

Both refresh their rows every 30 s through an htmx partial (`board_rows`, `board_public_rows`, the latter scoped by
the same token), and every 60 s by a plain reload when JavaScript is off. A fixed number of queries whatever the
number of orders (`selectors.board_rows`).
"""

from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from aftersales.core.pages import perm_required
from aftersales.workshop import selectors
from aftersales.workshop.services.setup import board_branch_for_token
from aftersales.workshop.views.dispatch import branch_param, page_branch, workshop_branches

VIEW_ORDERS = "service.view_serviceorder"
REFRESH_SECONDS = 30
RELOAD_SECONDS = 60


def board_context(*, branch, masked: bool, rows_url: str) -> dict:
    now = timezone.now()
    return {
        "branch": branch,
        "rows": selectors.board_rows(branch=branch, now=now, masked=masked) if branch else [],
        "masked": masked,
        "refreshed_at": now,
        "rows_url": rows_url,
        "refresh_seconds": REFRESH_SECONDS,
        "reload_seconds": RELOAD_SECONDS,
    }


def _inside_context(request) -> dict:
    branches = workshop_branches(request.user)
    branch = page_branch(request.user, branch_param(request.GET.get("branch")), branches)
    rows_url = reverse("workshop:board_rows") + (f"?branch={branch.pk}" if branch else "")
    return {**board_context(branch=branch, masked=False, rows_url=rows_url), "branches": branches}


@perm_required(VIEW_ORDERS)
@require_GET
def board_page(request):
    context = _inside_context(request)
    template = "workshop/board_screen.html" if request.GET.get("screen") else "workshop/board.html"
    return render(request, template, {**context, "screen": bool(request.GET.get("screen"))})


@perm_required(VIEW_ORDERS)
@require_GET
def board_rows_partial(request):
    return render(request, "workshop/_board_rows.html", _inside_context(request))


def _public_context(token: str) -> dict:
    branch = board_branch_for_token(token)
    if branch is None:
        raise Http404
    return board_context(
        branch=branch, masked=True, rows_url=reverse("workshop:board_public_rows", kwargs={"token": token})
    )


def _private(response):
    """The token is in the address: keep the page out of caches and search engines."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def board_public(request, token: str):
    """The board behind the secret link: no sign-in, masked plates, no customer, no link into the app."""
    context = {**_public_context(token), "screen": True, "public": True}
    return _private(render(request, "workshop/board_screen.html", context))


@require_GET
def board_public_rows(request, token: str):
    context = {**_public_context(token), "public": True}
    return _private(render(request, "workshop/_board_rows.html", context))


urlpatterns = [
    path("board/", board_page, name="board"),
    path("board/rows/", board_rows_partial, name="board_rows"),
    path("board/screen/<str:token>/", board_public, name="board_public"),
    path("board/screen/<str:token>/rows/", board_public_rows, name="board_public_rows"),
]
