"""The home page's figures for the user's branches: a fixed handful of counts, each capped like the lists'."""

from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.pagination import count_display


def dashboard_for(user) -> dict:
    from aftersales.customers.models import Asset, Customer
    from aftersales.org.models import Branch, Employee

    cards = []
    if user.has_perm("customers.view_customer"):
        cards.append(
            {
                "label": _("Customers"),
                "value": count_display(Customer.objects.for_user(user).filter(active=True)),
                "url": reverse("customers:customer_list"),
            }
        )
    if user.has_perm("customers.view_asset"):
        cards.append(
            {
                "label": _("Assets"),
                "value": count_display(Asset.objects.for_user(user).filter(active=True)),
                "url": reverse("customers:asset_list"),
            }
        )
    if user.has_perm("org.view_employee"):
        cards.append(
            {
                "label": _("Employees"),
                "value": count_display(Employee.objects.for_user(user).filter(active=True)),
                "url": reverse("org:employee_list"),
            }
        )
    branches = list(Branch.objects.for_user(user).filter(active=True).order_by("code")[:20])
    return {"cards": cards, "branches": branches, "can_search": user.has_perm("customers.view_customer")}
