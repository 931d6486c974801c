from aftersales.pay.views import appraisals, inputs, payslips, policies, runs

app_name = "pay"

urlpatterns = [
    *policies.urlpatterns,
    *inputs.urlpatterns,
    *runs.urlpatterns,
    *payslips.urlpatterns,
    *appraisals.urlpatterns,
]
