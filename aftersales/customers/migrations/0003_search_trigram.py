"""A trigram index on the customers' search digest, on PostgreSQL only.

`search_text LIKE '%term%'` then uses the index instead of reading every row; SQLite has no such
index and scans, which is fine at its scale.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS cust_search_trgm_idx ON customers_customer USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS asset_plate_trgm_idx ON customers_asset USING gin (plate gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS asset_vin_trgm_idx ON customers_asset USING gin (vin gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS cust_search_trgm_idx",
    "DROP INDEX IF EXISTS asset_plate_trgm_idx",
    "DROP INDEX IF EXISTS asset_vin_trgm_idx",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
