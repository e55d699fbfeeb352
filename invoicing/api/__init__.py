"""The e-invoicing HTTP API: thin routers over the services in `invoicing`.

Companies, the tax bureau and the public; the rider's invoice routes are in `trips`
(riders sign in there). Errors are `InvoicingError`s, rendered as problem+json by
`plumbing.problems`.
"""

from invoicing.api.company import router as company_router
from invoicing.api.public import router as public_router
from invoicing.api.tax import router as tax_router

routers = (company_router, public_router, tax_router)

__all__ = ["company_router", "public_router", "routers", "tax_router"]
