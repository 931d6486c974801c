from aftersales.service.views import appointments, desk, jobs, notifications, orders, photos, printing

app_name = "service"

urlpatterns = [
    *desk.urlpatterns,
    *orders.urlpatterns,
    *photos.urlpatterns,
    *jobs.urlpatterns,
    *appointments.urlpatterns,
    *printing.urlpatterns,
    *notifications.urlpatterns,
]
