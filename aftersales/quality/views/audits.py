"""Pages: service audits (4S 督查) — the list with filters, recording an audit (find the order, then tick the items the
team broke, each with a note), the audit's page (violations with their photos, the fines and the reward it posted,
cancelling it, its history), a violation photo streamed after the access check, and each employee's own fines and
rewards by month, with the audit behind every one.

Who sees an audit is the funnel's business (`Audit.objects.for_user`): the branch's audits for the roles that read
audits, and to anyone the audits they did or that fined them; so a fined installer opens the audit behind the fine.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.audit import audit_history
from aftersales.core.errors import Conflict
from aftersales.core.forms import apply_form_errors
from aftersales.core.pages import perm_required, render_list
from aftersales.core.pagination import positive_int
from aftersales.org.access import user_sees_branch
from aftersales.org.models import Employee, Team
from aftersales.quality import selectors, services
from aftersales.quality.choices import AuditStatus
from aftersales.quality.forms import AuditForm, CancelForm, PhotoForm, settings_branches
from aftersales.quality.models import Audit, Violation, ViolationPhoto
from aftersales.service import selectors as order_selectors
from aftersales.service.choices import OrderStatus
from aftersales.service.models import ServiceOrder
from aftersales.service.services.photos import CONTENT_TYPES

VIEW = "quality.view_audit"
ADD = "quality.add_audit"
CANCEL = "quality.cancel_audit"
SEARCH_RESULTS = 20
CACHE_SECONDS = 24 * 3600


def _employee(user):
    try:
        return user.employee
    except Employee.DoesNotExist:
        return None


# -- the list -------------------------------------------------------------------------------------------------------------


def _filters(request) -> dict:
    get = request.GET
    return {
        "branch": positive_int(get.get("branch"), None),
        "team": positive_int(get.get("team"), None),
        "auditor": positive_int(get.get("auditor"), None),
        "month": get.get("month", "").strip(),
        "status": get.get("status", "") if get.get("status") in AuditStatus.values else "",
        "q": get.get("q", "").strip(),
    }


@perm_required(VIEW)
def audit_list(request):
    queryset = selectors.audit_list(user=request.user, **_filters(request))
    visible = Audit.objects.for_user(request.user)
    context = {
        # lazy: the live search's partial answer draws no filter bar and runs none of these
        "statuses": AuditStatus.choices,
        "branches": settings_branches(request.user).only("pk", "code", "name"),
        "teams": Team.objects.for_user(request.user).filter(active=True).select_related("branch"),
        "auditors": Employee.objects.filter(pk__in=visible.values("auditor_id")).order_by("employee_no"),
    }
    return render_list(request, "quality/audit_list.html", "quality/_audit_table.html", queryset, context)


# -- recording ----------------------------------------------------------------------------------------------------------


def _order_results(user, q: str) -> list[ServiceOrder]:
    """Orders (not cancelled) whose number contains `q`, or whose id is `q`, newest first."""
    if not q:
        return []
    base = order_selectors.order_list(user=user).exclude(status=OrderStatus.CANCELLED).select_related("team")
    condition = Q(number__contains="".join(q.split()).upper())
    if q.isdigit():
        condition |= Q(pk=int(q))
    return list(base.filter(condition)[:SEARCH_RESULTS])


def _row_errors(exc: ValidationError, rows: list[tuple[str, str]]) -> tuple[dict[str, list[str]], ValidationError]:
    """The service's `violations.<row>.<field>` errors by item code, and the rest for the form."""
    by_code: dict[str, list[str]] = {}
    rest: dict[str, list] = {}
    if not hasattr(exc, "error_dict"):
        return by_code, exc
    for key, errors in exc.error_dict.items():
        parts = key.split(".")
        if parts[0] == "violations" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            by_code.setdefault(rows[int(parts[1])][0], []).extend(m for e in errors for m in e.messages)
        elif key in ("order", "checklist"):
            rest.setdefault(NON_FIELD_ERRORS, []).extend(errors)
        else:
            rest.setdefault(key, []).extend(errors)
    return by_code, ValidationError(rest) if rest else None


@perm_required(ADD)
def audit_create(request):
    """Step 1 (no `order`): find the order by its number (or id). Step 2: the audit of that order."""
    source = request.POST if request.method == "POST" else request.GET
    order_id = positive_int(source.get("order"), 0)
    q = request.GET.get("q", "").strip()
    context = {"q": q, "title": _("Record a service audit")}
    if not order_id:
        context["results"] = _order_results(request.user, q)
        if getattr(request, "htmx", False) and not request.htmx.boosted:
            return render(request, "quality/_audit_order_results.html", context)
        return render(request, "quality/audit_create.html", context)
    order = get_for_user_or_404(
        ServiceOrder.objects.select_related("branch", "team", "customer"), request.user, pk=order_id
    )
    checklists = selectors.checklists_in_use(user=request.user)
    wanted = positive_int(source.get("checklist"), 0)
    checklist = (
        next((c for c in checklists if c.pk == wanted), None)
        or next((c for c in checklists if c.is_default), None)
        or (checklists[0] if checklists else None)
    )
    items = list(checklist.items.all()) if checklist else []
    me = _employee(request.user)
    initial = {"audited_on": timezone.localdate(), "team": order.team_id, "auditor": me.pk if me else None}
    form = AuditForm(request.POST or None, order=order, initial=initial)
    violated = set(request.POST.getlist("violated")) if request.method == "POST" else set()
    notes = {item.code: request.POST.get(f"note-{item.code}", "").strip() for item in items}
    row_errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid() and checklist is not None:
        rows = [(item.code, notes[item.code]) for item in items if item.code in violated]
        data = form.cleaned_data
        try:
            audit = services.audit_record(
                actor=request.user,
                auditor=data["auditor"],
                order=order,
                team=data["team"],
                violations=rows,
                checklist=checklist,
                audited_on=data["audited_on"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            row_errors, rest = _row_errors(exc, rows)
            if rest is not None:
                apply_form_errors(form, rest)
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("Audit %(number)s recorded: %(count)s violation(s).")
                % {"number": audit.number, "count": audit.violation_count},
            )
            return redirect(audit)
    context.update(
        {
            "order": order,
            "form": form,
            "checklist": checklist,
            "checklists": checklists,
            "rows": [
                {
                    "item": item,
                    "checked": item.code in violated,
                    "note": notes[item.code],
                    "errors": row_errors.get(item.code, []),
                }
                for item in items
            ],
        }
    )
    return render(request, "quality/audit_create.html", context)


# -- the audit's page ---------------------------------------------------------------------------------------------------


@login_required
def audit_detail(request, pk):
    audit = selectors.audit_detail(user=request.user, pk=pk)
    user = request.user
    in_branch = user_sees_branch(user, audit.branch_id)
    recorded = audit.status == AuditStatus.RECORDED
    context = {
        "audit": audit,
        "violations": list(audit.violations.all()),
        "postings": list(audit.postings.all()),
        "history": audit_history(audit),
        "can_cancel": recorded and in_branch and user.has_perm(CANCEL),
        "can_add_photos": recorded and in_branch and user.has_perm(ADD),
        "order_link": in_branch and user.has_perm("service.view_serviceorder"),
        "cancel_form": CancelForm(),
        "max_photos": services.MAX_PHOTOS,
    }
    return render(request, "quality/audit_detail.html", context)


def _error_toasts(request, exc) -> None:
    if isinstance(exc, Conflict):
        messages.error(request, str(exc.message))
    else:
        for message in exc.messages:
            messages.error(request, message)


@require_POST
@login_required
def audit_cancel(request, pk):
    audit = selectors.audit_visible(user=request.user, pk=pk)
    require_perm(request.user, CANCEL)
    form = CancelForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, _("Reason: %(message)s") % {"message": error})
        return redirect(audit)
    try:
        services.audit_cancel(actor=request.user, audit=audit, reason=form.cleaned_data["reason"])
    except (ValidationError, Conflict) as exc:
        _error_toasts(request, exc)
    else:
        messages.success(
            request, _("Audit %(number)s cancelled: its fines and reward are reversed.") % {"number": audit.number}
        )
    return redirect(audit)


@require_POST
@login_required
def violation_photo_add(request, pk, violation_pk):
    audit = selectors.audit_visible(user=request.user, pk=pk)
    require_perm(request.user, ADD)
    try:
        violation = Violation.objects.select_related("item").get(pk=violation_pk, audit=audit)
    except Violation.DoesNotExist as exc:
        raise Http404 from exc
    back = f"{audit.get_absolute_url()}#violation-{violation.pk}"
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a photo to upload."))
        return redirect(back)
    try:
        services.violation_photo_add(actor=request.user, violation=violation, image=form.cleaned_data["image"])
    except (ValidationError, Conflict) as exc:
        _error_toasts(request, exc)
    else:
        messages.success(request, _("Photo added."))
    return redirect(back)


@login_required
def violation_photo(request, pk, photo_pk):
    """The picture itself, streamed to a user who may see the audit (never a public file)."""
    visible = Audit.objects.for_user(request.user)
    try:
        photo = ViolationPhoto.objects.select_related("violation__audit").get(
            pk=photo_pk, violation__audit_id=pk, violation__audit__in=visible
        )
    except (ViolationPhoto.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    extension = photo.image.name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:  # only what the upload checked and named is ever streamed
        raise Http404
    try:
        photo.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        photo.image.file,
        content_type=content_type,
        filename=f"{photo.violation.audit.number}-{photo.pk}.{extension}",
    )
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- my fines and rewards -----------------------------------------------------------------------------------------------


@login_required
def my_postings(request):
    """The signed-in employee's fines and rewards: the months with their sums, and one month's postings each with
    the audit behind it (the latest month unless `?month=2026-11`)."""
    employee = _employee(request.user)
    months = selectors.posting_months(employee) if employee else []
    chosen = selectors.month_parse(request.GET.get("month"))
    if chosen is None and months:
        chosen = months[0].month
    postings = list(selectors.postings_for(employee, month=chosen)) if employee and chosen else []
    context = {
        "employee": employee,
        "months": months,
        "chosen": chosen,
        "chosen_totals": next((m for m in months if m.month == chosen), None),
        "postings": postings,
    }
    return render(request, "quality/my_postings.html", context)


urlpatterns = [
    path("audits/", audit_list, name="audit_list"),
    path("audits/new/", audit_create, name="audit_create"),
    path("audits/<int:pk>/", audit_detail, name="audit_detail"),
    path("audits/<int:pk>/cancel/", audit_cancel, name="audit_cancel"),
    path("audits/<int:pk>/violations/<int:violation_pk>/photos/new/", violation_photo_add, name="violation_photo_add"),
    path("audits/<int:pk>/photos/<int:photo_pk>/", violation_photo, name="violation_photo"),
    path("mine/", my_postings, name="my_postings"),
]
