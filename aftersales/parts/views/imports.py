"""Pages: import of the parts catalogue and opening stock from xlsx (upload, preview, import or discard)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.access import get_for_user_or_404, require_perm
from aftersales.core.errors import Conflict
from aftersales.core.pages import perm_required, submit
from aftersales.core.xlsx import xlsx_response
from aftersales.parts.choices import ImportStatus
from aftersales.parts.forms_imports import PartImportUploadForm
from aftersales.parts.models import PartImport
from aftersales.parts.services import imports as services


def _batch(request, pk) -> PartImport:
    """The batch through the funnel (another branch's is 404), then the role (403)."""
    batch = get_for_user_or_404(PartImport.objects.select_related("branch", "created_by"), request.user, pk=pk)
    require_perm(request.user, "parts.import_part")
    return batch


@perm_required("parts.import_part")
def part_import(request):
    form = PartImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    batch = submit(
        request,
        form,
        lambda data: services.part_import_preview(actor=request.user, branch=data["branch"], upload=data["file"]),
        success=_("The sheet has been checked."),
    )
    if batch:
        return redirect("parts:part_import_preview", pk=batch.pk)
    return render(request, "parts/import_upload.html", {"form": form, "columns": services.column_labels()})


@perm_required("parts.import_part")
def part_import_template(request):
    return xlsx_response(
        _("parts-import-template") + ".xlsx",
        services.column_labels(),
        [services.template_example()],
        sheet_title=_("parts"),
    )


@login_required
def part_import_preview(request, pk):
    batch = _batch(request, pk)
    return render(
        request,
        "parts/import_preview.html",
        {
            "batch": batch,
            "previewed": batch.status == ImportStatus.PREVIEWED,
            "bad_rows": [row for row in batch.rows if row["errors"]],
            "stock_rows": sum(1 for row in batch.rows if row["values"].get("quantity")),
        },
    )


@require_POST
@login_required
def part_import_commit(request, pk):
    batch = _batch(request, pk)
    try:
        result = services.part_import_commit(actor=request.user, batch=batch)
    except (ValidationError, Conflict) as exc:
        message = exc.message if isinstance(exc, Conflict) else "; ".join(exc.messages)
        messages.error(request, str(message))
        return redirect("parts:part_import_preview", pk=batch.pk)
    messages.success(
        request,
        _("Imported %(rows)d rows: %(created)d new parts, %(updated)d updated, %(receipts)d opening stock receipts.")
        % {"rows": batch.row_count, "created": result.created, "updated": result.updated, "receipts": result.receipts},
    )
    return redirect("parts:part_import_preview", pk=batch.pk)


@require_POST
@login_required
def part_import_discard(request, pk):
    batch = _batch(request, pk)
    try:
        services.part_import_discard(actor=request.user, batch=batch)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The sheet was discarded; nothing was imported."))
    return redirect("parts:part_import")


urlpatterns = [
    path("import/", part_import, name="part_import"),
    path("import/template/", part_import_template, name="part_import_template"),
    path("import/<int:pk>/", part_import_preview, name="part_import_preview"),
    path("import/<int:pk>/commit/", part_import_commit, name="part_import_commit"),
    path("import/<int:pk>/discard/", part_import_discard, name="part_import_discard"),
]
