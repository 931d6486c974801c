"""Pages of the parts app, split by topic; each module exports its `urlpatterns`, gathered in `parts.urls`."""
