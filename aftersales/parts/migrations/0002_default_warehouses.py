"""Every branch that existed before the parts app gets its default warehouse (new branches get one when created)."""

from django.db import migrations


def create_default_warehouses(apps, schema_editor):
    Branch = apps.get_model("org", "Branch")
    Warehouse = apps.get_model("parts", "Warehouse")
    used = set(Warehouse.objects.values_list("code", flat=True))
    for branch in Branch.objects.exclude(warehouses__is_default=True).order_by("code"):
        code, n = branch.code, 1
        while code in used:
            n += 1
            code = f"{branch.code}-{n}"
        used.add(code)
        Warehouse.objects.create(branch=branch, code=code, name=f"{branch.name}仓库", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("parts", "0001_initial"), ("org", "0001_initial")]

    operations = [migrations.RunPython(create_default_warehouses, migrations.RunPython.noop)]
