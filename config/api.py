"""The API: one NinjaAPI under /api/v1/ that mounts each app's router."""

from ninja import NinjaAPI

from aftersales.core.api import API_AUTH, install_error_handlers
from aftersales.customers.api import router as customers_router
from aftersales.org.api import auth_router
from aftersales.org.api import router as org_router
from aftersales.parts.api import router as parts_router
from aftersales.parts.api_purchasing import router as purchasing_router
from aftersales.pay.api import router as pay_router
from aftersales.pay.api_appraisals import router as appraisals_router
from aftersales.quality.api import router as quality_router
from aftersales.service.api import router as service_router
from aftersales.service.api_appointments import router as appointments_router
from aftersales.workshop.api import router as workshop_router

api = NinjaAPI(
    title="Aftersales API",
    version="1.0.0",
    description="售后服务管理系统 API. Get a token with POST /api/v1/auth/token, then send `Authorization: Bearer <token>`.",
    auth=API_AUTH,
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/auth", auth_router)
api.add_router("/", org_router)
api.add_router("/", customers_router)
api.add_router("/", parts_router)
api.add_router("/", purchasing_router)
api.add_router("/", service_router)
api.add_router("/", appointments_router)
api.add_router("/", quality_router)
api.add_router("/", pay_router)
api.add_router("/", appraisals_router)
api.add_router("/", workshop_router)
