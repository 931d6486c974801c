"""Pages: purchasing."""

urlpatterns: list = []
