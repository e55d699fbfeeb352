"""Payment routes: the rider's account, agreement, pay-now and history under `/v1/me`,
and the providers' webhooks under `/v1/payments`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ledger.store import LedgerWriter
from payments import arrears, inbox, service
from payments.book import Policy
from payments.errors import UnknownProvider
from payments.provider import Provider
from payments.schemas import AccountPublic, PaymentList, PaymentPublic, PayNowCreate, RefundPublic
from payments.states import PaymentStatus
from plumbing.deps import RedisDep, SessionDep
from trips.deps import RiderDep

__all__ = ["me_router", "webhook_router"]

me_router = APIRouter(prefix="/v1/me", tags=["rider payments"])
webhook_router = APIRouter(prefix="/v1/payments", tags=["payment providers"])


class Payments:
    """What the app factory put on `app.state` for payments."""

    def __init__(self, request: Request) -> None:
        state = request.app.state
        self.provider: Provider = state.payment_provider
        self.policy: Policy = state.payment_policy
        self.writer: LedgerWriter = state.ledger_writer


PaymentsDep = Annotated[Payments, Depends(Payments)]


def _now() -> datetime:
    return datetime.now(UTC)


@me_router.get("/account", response_model=AccountPublic)
def read_account(rider: RiderDep, session: SessionDep) -> AccountPublic:
    account = service.account(session, rider.id)
    standing = arrears.standing_of(session, [rider.id])[rider.id]
    return AccountPublic.of(account, standing, rider.blocked)


@me_router.post("/payment-agreement", status_code=201, response_model=AccountPublic)
def sign_agreement(rider: RiderDep, session: SessionDep, payments: PaymentsDep) -> AccountPublic:
    """Authorise entrusted deduction: each trip's fare is then taken without asking."""
    account = service.sign_agreement(
        session, payments.writer, payments.provider, rider_id=rider.id, now=_now()
    )
    return AccountPublic.of(
        account, arrears.standing_of(session, [rider.id])[rider.id], rider.blocked
    )


@me_router.delete("/payment-agreement", response_model=AccountPublic)
def revoke_agreement(rider: RiderDep, session: SessionDep, payments: PaymentsDep) -> AccountPublic:
    account = service.revoke_agreement(
        session, payments.writer, payments.provider, rider_id=rider.id, now=_now()
    )
    return AccountPublic.of(
        account, arrears.standing_of(session, [rider.id])[rider.id], rider.blocked
    )


@me_router.post(
    "/payments/pay-now",
    status_code=201,
    response_model=PaymentPublic,
    responses={
        202: {"description": "taken; the provider has not confirmed it yet"},
        409: {"description": "another pay-now is in progress"},
        422: {"description": "nothing to pay, or more than is owed"},
    },
)
async def pay_now(
    body: PayNowCreate,
    rider: RiderDep,
    session: SessionDep,
    payments: PaymentsDep,
    client: RedisDep,
    response: Response,
) -> PaymentPublic:
    """Pay debt now; a captured payment takes the rider off the deny list at once."""
    result = await run_in_threadpool(
        service.pay_now,
        session,
        payments.writer,
        payments.provider,
        payments.policy,
        rider_id=rider.id,
        amount_fen=body.amount_fen,
        now=_now(),
    )
    await arrears.push_async(client, result.deny)
    if result.payment.status != PaymentStatus.CAPTURED:
        response.status_code = 202
    return PaymentPublic.of(result.payment)


@me_router.get("/payments", response_model=PaymentList)
def list_payments(
    rider: RiderDep, session: SessionDep, limit: int = Query(default=100, ge=1, le=500)
) -> PaymentList:
    payments, refunds = service.rider_payments(session, rider.id, limit)
    return PaymentList(
        payments=[PaymentPublic.of(p) for p in payments],
        refunds=[RefundPublic.of(r) for r in refunds],
    )


@webhook_router.post("/webhooks/{provider}")
async def receive_webhook(
    provider: str, request: Request, session: SessionDep, payments: PaymentsDep
) -> dict[str, bool | int | list[str]]:
    """A provider's signed callback (one notification or a batch); kept for the worker,
    repeats answered the same."""
    if provider != payments.provider.name:
        raise UnknownProvider(f"expected provider {payments.provider.name!r}, got {provider!r}")
    body = await request.body()
    receipt = await run_in_threadpool(
        inbox.receive_webhooks, session, payments.provider, body, dict(request.headers), _now()
    )
    answer: dict[str, bool | int | list[str]] = {
        "received": True,
        "duplicate": receipt.fresh == 0,
    }
    if receipt.batch:
        answer |= {
            "notifications": receipt.notifications,
            "fresh": receipt.fresh,
            "unknown": receipt.unknown,
        }
    return answer
