"""Pages: reports."""

urlpatterns: list = []
