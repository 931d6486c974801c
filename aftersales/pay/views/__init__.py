"""Pages of the pay app, split by topic; each module exports its `urlpatterns`, gathered in `pay.urls`."""
