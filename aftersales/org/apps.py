from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, using="default", **kwargs):
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from aftersales.org.services import roles_sync

    # Apps later in INSTALLED_APPS get their permissions after this signal: make them all exist first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    roles_sync(using=using)


class OrgConfig(AppConfig):
    name = "aftersales.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self):
        # The role matrix in code is applied after every migrate, so groups never drift from it.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="org.sync_roles")
