"""Errors of the payments domain, each carrying the HTTP status it becomes.

The hierarchy::

    PaymentsError (500)
    ├── InvalidPayment (422)        pay-now of nothing, or more than is owed
    ├── PaymentNotFound (404)       a webhook about a payment or refund we never made
    ├── UnknownProvider (404)       a webhook for a provider we do not use
    ├── BadWebhookSignature (401)   missing, stale or wrong signature
    ├── MalformedNotification (422) signed, but not a notification we understand
    ├── PayNowInProgress (409)      another pay-now of the rider's is not finished
    ├── AgreementConflict (409)     agreeing twice, or revoking what is not agreed
    └── ProviderDown (503)          the provider did not answer: try again
"""

from __future__ import annotations

from plumbing.errors import DomainError

__all__ = [
    "AgreementConflict",
    "BadWebhookSignature",
    "InvalidPayment",
    "MalformedNotification",
    "PayNowInProgress",
    "PaymentNotFound",
    "PaymentsError",
    "ProviderDown",
    "UnknownProvider",
]


class PaymentsError(DomainError):
    status_code = 500
    title = "Payments error"


class InvalidPayment(PaymentsError):
    status_code = 422
    title = "Invalid payment"


class PaymentNotFound(PaymentsError):
    status_code = 404
    title = "Payment not found"


class UnknownProvider(PaymentsError):
    status_code = 404
    title = "Unknown payment provider"


class BadWebhookSignature(PaymentsError):
    status_code = 401
    title = "Bad webhook signature"


class MalformedNotification(PaymentsError):
    status_code = 422
    title = "Malformed notification"


class PayNowInProgress(PaymentsError):
    status_code = 409
    title = "Pay-now in progress"


class AgreementConflict(PaymentsError):
    status_code = 409
    title = "Agreement conflict"


class ProviderDown(PaymentsError):
    status_code = 503
    title = "Payment provider unavailable"
