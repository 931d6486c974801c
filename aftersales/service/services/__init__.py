"""Writes of service orders, split by topic: `orders` (creation and every status move), `lines`, `jobs` (the
technician's clock), `appointments`, `notify` (in-app notifications and SMS)."""
