"""The role matrix: each role of DOMAIN.md and the permissions it carries, in one place.

A person may grant only roles whose permissions they hold themselves (superusers grant any), so no
one can hand out more than they have. A role is applied as a Django group of the same code (`roles_sync`, run after every migrate and by
`manage.py apply_roles`), and a person holds roles through their account's groups. Permissions say
what a role may do; *where* (which branches) comes from the person's branches (`org.access`).
Later apps add their permissions here.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


def _crud(app_model: str, *actions: str) -> set[str]:
    app, model = app_model.split(".")
    return {f"{app}.{action}_{model}" for action in actions}


VIEW_ORG = _crud("org.branch", "view") | _crud("org.position", "view") | _crud("org.team", "view")
VIEW_PEOPLE = VIEW_ORG | _crud("org.employee", "view")
VIEW_CUSTOMERS = _crud("customers.customer", "view") | _crud("customers.asset", "view")
EDIT_CUSTOMERS = (
    VIEW_CUSTOMERS | _crud("customers.customer", "add", "change") | _crud("customers.asset", "add", "change")
)
EXPORT_CUSTOMERS = {"customers.export_customer"}
IMPORT_CUSTOMERS = {"customers.import_customer"}
MANAGE_STAFF = VIEW_PEOPLE | _crud("org.employee", "add", "change") | _crud("org.team", "add", "change")
MANAGE_POSITIONS = _crud("org.position", "add", "change")
VIEW_AUDIT = {"core.view_auditevent"}
VIEW_PARTS = (
    _crud("parts.part", "view")
    | _crud("parts.supplier", "view")
    | _crud("parts.warehouse", "view")
    | _crud("parts.stockbalance", "view")
    | _crud("parts.stockreservation", "view")
)
#: The ledger shows costs: the stores, managers and finance read it, the front desk and workshop do not.
VIEW_LEDGER = _crud("parts.stockmove", "view")
STOCK_REPORTS = {"parts.view_stock_reports", "parts.export_part"} | VIEW_LEDGER
RUN_STORES = (
    VIEW_PARTS
    | VIEW_LEDGER
    | STOCK_REPORTS
    | _crud("parts.part", "add", "change")
    | _crud("parts.supplier", "add", "change")
    | _crud("parts.warehouse", "add", "change")
    | {"parts.import_part", "parts.receive_stock", "parts.issue_stock", "parts.reserve_stock"}
    | {"parts.transfer_stock", "parts.adjust_stock"}
    | _crud("parts.purchaseorder", "view", "add", "change")
    | _crud("parts.goodsreceipt", "view")
    | _crud("parts.stocktake", "view", "add", "change")
    | _crud("parts.defect", "view", "add", "change")
)
APPROVE_STOCKTAKE = {"parts.approve_stocktake"}
VIEW_ORDERS = _crud("service.serviceorder", "view") | _crud("service.appointment", "view")


def _order(*actions: str) -> set[str]:
    return {f"service.{action}_serviceorder" for action in actions}


FRONT_DESK = (
    VIEW_ORDERS
    | _crud("service.serviceorder", "add", "change")
    | _crud("service.appointment", "add", "change")
    | _order("consent", "deliver", "cancel")
    | {"parts.reserve_stock"}
)
ALL_ORDERS = FRONT_DESK | _order("dispatch", "work", "qc", "settle", "complete")
VIEW_AUDITS = _crud("quality.audit", "view")
RUN_AUDITS = VIEW_AUDITS | _crud("quality.audit", "add")
MANAGE_CHECKLISTS = _crud("quality.checklist", "add", "change") | _crud("quality.qualitysettings", "change")
CANCEL_AUDITS = {"quality.cancel_audit"}
#: Managers appraise their people; HR confirms.
APPRAISE = _crud("pay.appraisal", "view", "add") | _crud("pay.appraisalform", "view") | {"pay.review_appraisal"}
VIEW_PAY = _crud("pay.payrun", "view") | _crud("pay.paypolicy", "view") | _crud("pay.appraisal", "view")
PAY_INPUTS = _crud("pay.payinput", "view", "add", "change")
APPROVE_PAY = VIEW_PAY | {"pay.approve_payrun"}
RUN_PAY = (
    VIEW_PAY
    | PAY_INPUTS
    | _crud("pay.paypolicy", "add", "change")
    | _crud("pay.piecerate", "view", "add", "change")
    | _crud("pay.appraisalform", "view", "add", "change")
    | _crud("pay.appraisal", "add")
    | _crud("pay.payadjustment", "view", "add")
    | {"pay.add_payrun", "pay.lock_payrun", "pay.confirm_appraisal"}
)

#: The workshop: who sees technicians, bays and the board; who plans the day; who sets skills, shifts and bays.
VIEW_WORKSHOP = (
    _crud("workshop.technicianskill", "view")
    | _crud("workshop.bay", "view")
    | _crud("workshop.dayoff", "view")
    | _crud("workshop.clockspan", "view")
)
PLAN_WORKSHOP = VIEW_WORKSHOP | _order("dispatch") | _crud("workshop.dayoff", "add", "change")
MANAGE_WORKSHOP = (
    PLAN_WORKSHOP
    | _crud("workshop.technicianskill", "change")
    | _crud("workshop.technicianshift", "change")
    | _crud("workshop.bay", "add", "change")
    | _crud("workshop.workshopsettings", "change")
)


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    description: str
    permissions: frozenset[str]


def _role(code: str, label, description, *groups: set[str]) -> Role:
    return Role(code=code, label=label, description=description, permissions=frozenset().union(*groups))


ROLES: dict[str, Role] = {
    role.code: role
    for role in (
        _role(
            "regional_manager",
            _("Regional manager"),
            _("Reads and reports across every branch of the region; approves what branches escalate."),
            MANAGE_STAFF,
            MANAGE_POSITIONS,
            _crud("org.branch", "add", "change"),
            EDIT_CUSTOMERS,
            EXPORT_CUSTOMERS,
            VIEW_AUDIT,
            VIEW_PARTS,
            STOCK_REPORTS,
            _crud("parts.purchaseorder", "view"),
            _crud("parts.goodsreceipt", "view"),
            _crud("parts.stocktake", "view"),
            _crud("parts.defect", "view"),
            ALL_ORDERS,
            VIEW_AUDITS,
            VIEW_PAY,
            VIEW_WORKSHOP,
        ),
        _role(
            "service_manager",
            _("Service manager"),
            _("Everything in the branch: targets, reports, staff appraisal, major complaints, pay run approval."),
            MANAGE_STAFF,
            _crud("org.branch", "change"),
            EDIT_CUSTOMERS,
            EXPORT_CUSTOMERS,
            IMPORT_CUSTOMERS,
            VIEW_AUDIT,
            RUN_STORES,
            APPROVE_STOCKTAKE,
            ALL_ORDERS,
            RUN_AUDITS,
            MANAGE_CHECKLISTS,
            CANCEL_AUDITS,
            APPRAISE,
            APPROVE_PAY,
            PAY_INPUTS,
            MANAGE_WORKSHOP,
        ),
        _role(
            "service_supervisor",
            _("Service supervisor"),
            _("Oversees the advisors, checks settlements before release, handles complaints."),
            VIEW_PEOPLE,
            EDIT_CUSTOMERS,
            EXPORT_CUSTOMERS,
            IMPORT_CUSTOMERS,
            VIEW_AUDIT,
            VIEW_PARTS,
            FRONT_DESK,
            _order("settle"),
            APPRAISE,
        ),
        _role(
            "service_advisor",
            _("Service advisor"),
            _("Appointments, reception, estimates, customer consent, delivery and follow-up."),
            VIEW_ORG,
            EDIT_CUSTOMERS,
            EXPORT_CUSTOMERS,
            VIEW_PARTS,
            FRONT_DESK,
        ),
        _role(
            "workshop_manager",
            _("Workshop manager"),
            _("Runs the workshop: safety and 5S, progress, rework decisions."),
            VIEW_PEOPLE,
            _crud("org.team", "add", "change"),
            VIEW_CUSTOMERS,
            VIEW_PARTS,
            VIEW_ORDERS,
            _order("dispatch", "qc"),
            VIEW_AUDITS,
            APPRAISE,
            MANAGE_WORKSHOP,
        ),
        _role(
            "dispatcher",
            _("Dispatcher"),
            _("Assigns jobs by skill and load, keeps the progress board current, warns of delays."),
            VIEW_PEOPLE,
            VIEW_CUSTOMERS,
            VIEW_PARTS,
            VIEW_ORDERS,
            _order("dispatch"),
            PLAN_WORKSHOP,
        ),
        _role(
            "technician",
            _("Technician"),
            _("Works their own jobs: clocks on and off, self-checks, reports extra work found."),
            VIEW_ORG,
            VIEW_CUSTOMERS,
            VIEW_PARTS,
            VIEW_ORDERS,
            _order("work", "complete"),
        ),
        _role(
            "technical_advisor",
            _("Technical advisor"),
            _("Diagnoses hard cases, helps the pre-check, guides QC, trains technicians."),
            VIEW_PEOPLE,
            VIEW_CUSTOMERS,
            _crud("customers.asset", "change"),
            VIEW_PARTS,
            VIEW_ORDERS,
            _order("qc"),
        ),
        _role(
            "qc_inspector",
            _("QC inspector"),
            _("Final inspection of finished jobs: pass, or send back for rework."),
            VIEW_ORG,
            VIEW_CUSTOMERS,
            VIEW_PARTS,
            VIEW_ORDERS,
            _order("qc"),
        ),
        _role(
            "parts_manager",
            _("Parts manager"),
            _("Runs the parts department: catalogue, stock, purchasing, approves stocktakes, turnover."),
            VIEW_PEOPLE,
            RUN_STORES,
            APPROVE_STOCKTAKE,
            VIEW_AUDIT,
            VIEW_ORDERS,
        ),
        _role(
            "parts_keeper",
            _("Parts keeper"),
            _("Catalogue, stock, purchasing, issue and return of parts, stocktake."),
            VIEW_ORG,
            RUN_STORES,
            VIEW_ORDERS,
        ),
        _role(
            "cashier",
            _("Cashier"),
            _("Settlement and payment; tells the advisor when the bill exceeds the estimate."),
            VIEW_ORG,
            VIEW_CUSTOMERS,
            VIEW_PARTS,
            VIEW_ORDERS,
            _order("settle"),
        ),
        _role(
            "claims_clerk",
            _("Claims clerk"),
            _("Warranty claims to the maker and insurance claims."),
            VIEW_ORG,
            VIEW_CUSTOMERS,
            _crud("customers.asset", "change"),
            VIEW_PARTS,
            VIEW_ORDERS,
        ),
        _role(
            "customer_care",
            _("Customer care"),
            _("Keeps customer and asset files; follow-up calls and satisfaction surveys."),
            VIEW_ORG,
            EDIT_CUSTOMERS,
            EXPORT_CUSTOMERS,
            IMPORT_CUSTOMERS,
            VIEW_ORDERS,
        ),
        _role(
            "install_supervisor",
            _("Installation supervisor"),
            _("After-sales inspections and 4S service audits of installation teams."),
            VIEW_PEOPLE,
            _crud("org.team", "add", "change"),
            VIEW_CUSTOMERS,
            VIEW_ORDERS,
            _crud("service.serviceorder", "add"),
            _order("complete", "qc", "dispatch"),
            RUN_AUDITS,
            APPRAISE,
        ),
        _role(
            "hr",
            _("HR"),
            _("Appraisal scores, pay policies, pay runs and payslips; keeps the staff files."),
            MANAGE_STAFF,
            MANAGE_POSITIONS,
            VIEW_AUDIT,
            VIEW_AUDITS,
            RUN_PAY,
        ),
        _role(
            "finance",
            _("Finance"),
            _("Checks settlements, collections and pay runs."),
            VIEW_PEOPLE,
            VIEW_CUSTOMERS,
            EXPORT_CUSTOMERS,
            VIEW_PARTS,
            STOCK_REPORTS,
            VIEW_ORDERS,
            VIEW_AUDITS,
            VIEW_PAY,
            {"pay.lock_payrun"},
        ),
    )
}

ROLE_CHOICES = [(role.code, role.label) for role in ROLES.values()]


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code
