"""Pages of service orders, split by topic; each module exports its `urlpatterns`, gathered in `service.urls`."""
