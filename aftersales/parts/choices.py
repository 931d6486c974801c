"""Kinds of stock move and the statuses of the parts documents, with their transition tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    RETURN = "return", _("Return")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    ADJUSTMENT = "adjustment", _("Adjustment")
    STOCKTAKE = "stocktake", _("Stocktake")
    SUPPLIER_RETURN = "supplier_return", _("Return to supplier")


#: Moves whose cost counts as "cost of issues" in turnover (parts consumed by work), net of returns.
#: A reversing move keeps the kind of the move it reverses, so sums by kind are always net of corrections.
CONSUMPTION_KINDS = (MoveKind.ISSUE, MoveKind.RETURN)


class ReservationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ISSUED = "issued", _("Issued")
    RELEASED = "released", _("Released")


class DemandSource(models.TextChoices):
    ISSUE = "issue", _("Issue")
    RESERVATION = "reservation", _("Reservation")


class PurchaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ORDERED = "ordered", _("Ordered")
    PARTIAL = "partial", _("Partly received")
    RECEIVED = "received", _("Received")
    CLOSED = "closed", _("Closed short")
    CANCELLED = "cancelled", _("Cancelled")


#: From each status, the statuses a purchase order may move to by a user's action (receipts move it too).
PURCHASE_TRANSITIONS = {
    PurchaseStatus.DRAFT: {PurchaseStatus.ORDERED, PurchaseStatus.CANCELLED},
    PurchaseStatus.ORDERED: {PurchaseStatus.CANCELLED},
    PurchaseStatus.PARTIAL: {PurchaseStatus.CLOSED},
    PurchaseStatus.RECEIVED: set(),
    PurchaseStatus.CLOSED: set(),
    PurchaseStatus.CANCELLED: set(),
}
PURCHASE_RECEIVABLE = (PurchaseStatus.ORDERED, PurchaseStatus.PARTIAL)


class StocktakeStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


STOCKTAKE_TRANSITIONS = {
    StocktakeStatus.COUNTING: {StocktakeStatus.SUBMITTED, StocktakeStatus.CANCELLED},
    StocktakeStatus.SUBMITTED: {StocktakeStatus.APPROVED, StocktakeStatus.COUNTING, StocktakeStatus.CANCELLED},
    StocktakeStatus.APPROVED: set(),
    StocktakeStatus.CANCELLED: set(),
}


class DefectSource(models.TextChoices):
    RECEIPT = "receipt", _("Found on receipt")
    IN_USE = "in_use", _("Found in use")


class DefectStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RETURNED = "returned", _("Returned to supplier")
    SCRAPPED = "scrapped", _("Scrapped")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    IMPORTED = "imported", _("Imported")
    DISCARDED = "discarded", _("Discarded")
