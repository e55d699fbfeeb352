"""Every domain error carries its HTTP status and a title, and the hierarchy is drawn."""

from __future__ import annotations

import pytest

import invoicing.errors as errors
from invoicing import InvoicingError

STATUS = {
    "InvoicingError": 500,
    "InvalidInvoiceData": 422,
    "InvalidTaxId": 422,
    "CompanyNameMismatch": 422,
    "InvalidInvoiceNumber": 422,
    "InvalidAmount": 422,
    "InvalidTaxRegime": 422,
    "InvalidQuery": 422,
    "NotAuthenticated": 401,
    "ActionForbidden": 403,
    "InvoiceNotFound": 404,
    "TitleNotFound": 404,
    "ExportNotFound": 404,
    "ExportNotReady": 409,
    "CompanyNotFound": 404,
    "RateLimited": 429,
    "TransitionConflict": 409,
    "InvoiceLocked": 409,
    "InvoiceNotLocked": 409,
    "AlreadyReimbursed": 409,
    "AlreadyCredited": 409,
    "CreditNoteImmutable": 409,
    "SequenceOverflow": 500,
    "InvalidDocument": 500,
}


def test_every_error_is_listed_with_its_status() -> None:
    assert set(errors.__all__) == set(STATUS)


@pytest.mark.parametrize(("name", "status"), sorted(STATUS.items()))
def test_status_title_and_place_in_the_drawing(name: str, status: int) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, InvoicingError)
    assert cls.status_code == status
    assert cls.title
    assert f"{name} ({status})" in (errors.__doc__ or "")


def test_titles_are_distinct_and_detail_is_the_message() -> None:
    titles = [getattr(errors, name).title for name in STATUS]
    assert len(set(titles)) == len(titles)
    assert errors.InvoiceLocked("expected X, got Y").detail == "expected X, got Y"


def test_problem_extras_carry_the_expected_check_character_and_the_wait() -> None:
    bad = errors.InvalidTaxId("expected 'T'", code="91440300708461136X", expected="T")
    assert bad.extra == {"code": "91440300708461136X", "expected_check_character": "T"}
    assert errors.RateLimited("slow down", retry_after_s=12).extra == {"retry_after_s": 12}
    assert errors.InvoiceLocked("x").extra == {}
