"""Pages: imports."""

urlpatterns: list = []
