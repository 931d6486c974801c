"""Pages of the quality app, split by topic; each module exports its `urlpatterns`, gathered in `quality.urls`."""
