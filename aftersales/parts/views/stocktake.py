"""Pages: stocktake."""

urlpatterns: list = []
