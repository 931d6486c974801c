"""Pages: the branch's bays (工位) — the list, a new bay, editing one. A bay is never deleted: taking it out of use
is unticking "In use" (the planner then leaves it out; its past slots stay)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.pages import perm_required, submit
from aftersales.workshop.choices import BAY_KINDS
from aftersales.workshop.forms import BayForm
from aftersales.workshop.models import Bay
from aftersales.workshop.services import setup
from aftersales.workshop.views.setup import page_branch

VIEW = "workshop.view_bay"


@perm_required(VIEW)
def bay_list(request):
    branch, branches = page_branch(request)
    bays = list(Bay.objects.for_user(request.user).filter(branch=branch).order_by("code"))
    context = {"branch": branch, "branches": branches, "bays": bays, "kind_labels": BAY_KINDS}
    return render(request, "workshop/bay_list.html", context)


def _list_url(branch) -> str:
    return f"{reverse('workshop:bay_list')}?branch={branch.pk}"


def _form_page(request, form, *, branch, bay=None):
    title = _("Edit bay %(code)s") % {"code": bay.code} if bay else _("New bay")
    context = {"form": form, "title": title, "branch": branch, "bay": bay, "cancel_url": _list_url(branch)}
    return render(request, "workshop/bay_form.html", context)


@login_required
def bay_create(request):
    require_perm(request.user, "workshop.add_bay")
    branch, _branches = page_branch(request, request.POST.get("branch") if request.method == "POST" else None)
    form = BayForm(request.POST or None)

    def save(data):
        return setup.bay_create(
            actor=request.user, branch=branch, code=data["code"], name=data["name"], kinds=form.all_kinds()
        )

    bay = submit(request, form, save, success=_("Bay saved."), field_map={"kinds": "other_kinds"})
    if bay is not None:
        return _redirect(branch)
    return _form_page(request, form, branch=branch)


@login_required
def bay_edit(request, pk: int):
    bay = get_for_user_or_404(Bay.objects.select_related("branch"), request.user, pk=pk)
    require_perm(request.user, "workshop.change_bay")
    form = BayForm(request.POST or None, editing=True, initial=BayForm.initial_for(bay))

    def save(data):
        changes = {"code": data["code"].strip(), "name": data["name"].strip(), "kinds": form.all_kinds()}
        return setup.bay_update(actor=request.user, bay=bay, data={**changes, "active": data["active"]})

    saved = submit(request, form, save, success=_("Bay saved."), field_map={"kinds": "other_kinds"})
    if saved is not None:
        return _redirect(bay.branch)
    return _form_page(request, form, branch=bay.branch, bay=bay)


def _redirect(branch):
    return redirect(_list_url(branch))


urlpatterns = [
    path("bays/", bay_list, name="bay_list"),
    path("bays/new/", bay_create, name="bay_create"),
    path("bays/<int:pk>/edit/", bay_edit, name="bay_edit"),
]
