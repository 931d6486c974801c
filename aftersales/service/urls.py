from aftersales.service.views import appointments, desk, jobs, notifications, orders, printing

app_name = "service"

urlpatterns = [
    *desk.urlpatterns,
    *orders.urlpatterns,
    *jobs.urlpatterns,
    *appointments.urlpatterns,
    *printing.urlpatterns,
    *notifications.urlpatterns,
]
