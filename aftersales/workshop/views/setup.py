"""Pages: the branch's workshop hours (the default shift and break of its technicians) and the progress board's
secret link — make a new one (shown once, with a QR code for the screen's browser) or revoke it.

Also the branch picker every workshop page shares (`page_branch`): the branch named by `?branch=` (404 unless it is a
store the user sees), else the user's own store, else the first store they see.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from aftersales.core.access import require_perm
from aftersales.core.pages import perm_required, submit
from aftersales.org.choices import UMBRELLA_KINDS
from aftersales.org.models import Branch
from aftersales.service.qr import qr_svg
from aftersales.workshop.forms import HoursForm
from aftersales.workshop.models import WorkshopSettings
from aftersales.workshop.services import setup
from aftersales.workshop.services.calendar import settings_hours

SETTINGS = "workshop.change_workshopsettings"


def workshop_branches(user) -> list[Branch]:
    """The stores and service centres the user sees (regions and the head office have no workshop)."""
    return list(Branch.objects.for_user(user).filter(active=True).exclude(kind__in=UMBRELLA_KINDS).order_by("code"))


def page_branch(request, raw: str | None = None) -> tuple[Branch, list[Branch]]:
    """The branch a workshop page shows (`?branch=`, or `raw` from a form; 404 unless it is one of the user's stores)
    and the branches to pick from; without one, the user's own store, else the first they see."""
    raw = request.GET.get("branch") if raw is None else raw
    choices = workshop_branches(request.user)
    by_id = {branch.pk: branch for branch in choices}
    if raw:
        branch = by_id.get(int(raw)) if str(raw).isdigit() else None
    else:
        employee = getattr(request.user, "employee", None)
        branch = by_id.get(employee.branch_id) if employee is not None else None
        branch = branch or (choices[0] if choices else None)
    if branch is None:
        raise Http404
    return branch, choices


def _settings_url(branch) -> str:
    return f"{reverse('workshop:settings')}?branch={branch.pk}"


def _hours_initial(settings) -> dict:
    hours = settings_hours(settings)
    return {"start": hours.start, "end": hours.end, "break_start": hours.break_start, "break_end": hours.break_end}


def _settings_page(request, branch, branches, *, form=None, new_link: str = ""):
    settings = WorkshopSettings.objects.filter(branch=branch).first()
    context = {
        "branch": branch,
        "branches": branches,
        "settings": settings,
        "form": form or HoursForm(initial=_hours_initial(settings)),
        "new_link": new_link,
        "new_link_qr": qr_svg(new_link, scale=4, title=_("Board link")) if new_link else "",
    }
    return render(request, "workshop/settings.html", context)


@perm_required(SETTINGS)
def settings_page(request):
    """The hours form (GET shows it, POST saves it) and the board link's state."""
    branch, branches = page_branch(request, request.POST.get("branch") if request.method == "POST" else None)
    if request.method != "POST":
        return _settings_page(request, branch, branches)
    form = HoursForm(request.POST)
    saved = submit(
        request,
        form,
        lambda data: setup.workshop_hours_set(actor=request.user, branch=branch, **data),
        success=_("The workshop hours of %(branch)s are saved.") % {"branch": branch.name},
    )
    return redirect(_settings_url(branch)) if saved else _settings_page(request, branch, branches, form=form)


@never_cache
@require_POST
@login_required
def board_link_new(request):
    """A new secret link for the branch's board, shown on this response only (the previous link stops working)."""
    require_perm(request.user, SETTINGS)
    branch, branches = page_branch(request, request.POST.get("branch", ""))
    token = setup.board_link_rotate(actor=request.user, branch=branch)
    link = request.build_absolute_uri(reverse("workshop:board_public", args=[token]))
    messages.success(request, _("A new board link is made: the previous one no longer opens the board."))
    return _settings_page(request, branch, branches, new_link=link)


@require_POST
@login_required
def board_link_revoke(request):
    require_perm(request.user, SETTINGS)
    branch, _branches = page_branch(request, request.POST.get("branch", ""))
    setup.board_link_revoke(actor=request.user, branch=branch)
    messages.success(request, _("The board link is revoked: it no longer opens the board."))
    return redirect(_settings_url(branch))


urlpatterns = [
    path("settings/", settings_page, name="settings"),
    path("settings/board-link/", board_link_new, name="board_link_new"),
    path("settings/board-link/revoke/", board_link_revoke, name="board_link_revoke"),
]
