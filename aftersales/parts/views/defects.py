"""Pages: defects."""

urlpatterns: list = []
