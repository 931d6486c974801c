from aftersales.quality.views import audits, checklists

app_name = "quality"

urlpatterns = [
    *checklists.urlpatterns,
    *audits.urlpatterns,
]
