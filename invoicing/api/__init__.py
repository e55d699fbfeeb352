"""The e-invoicing HTTP API: thin routers over the services in `invoicing`.

Include `routers` in the app *before* `farechain.me.router`: its `/v1/me/invoices/{number}`
would otherwise also match `/v1/me/invoices/<number>.xml`. Errors are `InvoicingError`s,
rendered as problem+json by the app's handler.
"""

from invoicing.api.company import router as company_router
from invoicing.api.public import router as public_router
from invoicing.api.rider import router as rider_router
from invoicing.api.tax import router as tax_router

routers = (rider_router, company_router, public_router, tax_router)

__all__ = ["company_router", "public_router", "rider_router", "routers", "tax_router"]
