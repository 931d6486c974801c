"""Writes of the parts app, split by topic: `catalogue` (parts, suppliers, warehouses, bins), `ledger` (every
stock move), `receipts`, `purchasing`, `stocktake`, `defects` and `imports`."""
