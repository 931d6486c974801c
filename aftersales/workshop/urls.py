from aftersales.workshop.views import bays, board, dispatch, productivity, setup, technicians

app_name = "workshop"

urlpatterns = [
    *dispatch.urlpatterns,
    *board.urlpatterns,
    *technicians.urlpatterns,
    *bays.urlpatterns,
    *productivity.urlpatterns,
    *setup.urlpatterns,
]
