"""`{% order_audits order %}`: the audits of a service order that the reader may see, for the order's page (one query).
Draws nothing for a reader who neither reads audits nor took part in one of the order's.

Use on the service order page: `{% load quality_tags %}{% order_audits order %}`.
"""

from django import template

from aftersales.org.access import user_sees_branch

register = template.Library()


@register.inclusion_tag("quality/_order_audits.html", takes_context=True)
def order_audits(context, order):
    from aftersales.quality.selectors import order_audits as audits_of

    user = context["request"].user
    audits = audits_of(user=user, order=order)
    can_audit = (
        user.has_perm("quality.add_audit") and user_sees_branch(user, order.branch_id) and order.status != "cancelled"
    )
    return {
        "order": order,
        "audits": audits,
        "can_audit": can_audit,
        # nothing at all for someone who neither reads audits nor has one of this order to see
        "shown": bool(audits) or can_audit or user.has_perm("quality.view_audit"),
    }
