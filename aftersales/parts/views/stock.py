"""Pages: stock."""

urlpatterns: list = []
