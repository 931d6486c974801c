"""What every service-order service shares: the locked order, the event log, the branch's settings."""

from django.http import Http404

from aftersales.org.access import user_sees_branch
from aftersales.service.choices import OrderStatus
from aftersales.service.models import BranchServiceSettings, OrderEvent, ServiceOrder


def branch_settings(branch) -> BranchServiceSettings:
    """The branch's service settings, or the defaults (unsaved) when the branch has set none."""
    return BranchServiceSettings.objects.filter(branch=branch).first() or BranchServiceSettings(branch=branch)


def order_locked(order: ServiceOrder, actor) -> ServiceOrder:
    """The order re-read under a row lock (every change to an order goes through one), 404 if not the actor's."""
    locked = ServiceOrder.objects.select_for_update().select_related("branch").get(pk=order.pk)
    if not user_sees_branch(actor, locked.branch_id):
        raise Http404
    return locked


def order_event(*, order: ServiceOrder, actor, action: str, from_status: str = "", to_status: str = "", payload=None):
    return OrderEvent.objects.create(
        order=order,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        payload=dict(payload or {}),
    )


def status_label(status: str) -> str:
    return str(OrderStatus(status).label)
