from aftersales.parts.views import catalogue, defects, imports, purchasing, reports, stock, stocktake

app_name = "parts"

urlpatterns = [
    *catalogue.urlpatterns,
    *stock.urlpatterns,
    *purchasing.urlpatterns,
    *stocktake.urlpatterns,
    *defects.urlpatterns,
    *reports.urlpatterns,
    *imports.urlpatterns,
]
