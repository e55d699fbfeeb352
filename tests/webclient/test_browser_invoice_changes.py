"""What a rider does to an invoice from the phone: re-title it, ask for a refund credit
note, and follow its reimbursement by the buyer company."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.webclient.conftest import Phone
from tests.webclient.live import Live

RIDER = "r0000002"  # buys as an individual, with the second demo company as a saved title


def _invoices(live: Live) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {live.rider_token(RIDER)}"}
    answer: list[dict[str, Any]] = live.http.get("/v1/me/invoices", headers=headers).json()
    return answer


def test_retitle_refund_and_reimbursement_status(live: Live, phone: Phone) -> None:
    live.ride("luohu", "laojie", rider=RIDER)
    live.ride("laojie", "luohu", rider=RIDER)
    company = live.credentials["companies"][1]
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.click("a.tab[href='#/invoices']")
    expect(page.locator("details.invoice")).to_have_count(2, timeout=15_000)
    first, second = (i["number"] for i in _invoices(live))

    # Re-title the newest invoice to the company: a credit note and a new invoice.
    newest = page.locator(f"details[data-number='{first}']")
    newest.locator("summary").click()
    newest.get_by_label("新抬头").select_option(label=company["name"])
    newest.get_by_role("button", name="申请换开").click()
    expect(page.locator("#status")).to_contain_text("已换开")
    expect(page.locator("details.invoice")).to_have_count(4)
    expect(page.locator(f"details[data-number='{first}'] .badge")).to_have_text("已红冲")
    rows = _invoices(live)
    (credit,) = [i for i in rows if i["kind"] == "credit_note"]
    assert credit["original_number"] == first
    (retitled,) = [i for i in rows if i["kind"] == "invoice" and i["status"] == "issued"
                   and i["buyer_tax_id"] == company["tax_id"]]  # fmt: skip
    expect(page.locator(f"details[data-number='{credit['number']}'] .badge")).to_have_text(
        f"红字发票，冲销 {first}"
    )

    # The company claims the new invoice: the rider sees it in their claim.
    claim = live.http.post(
        "/v1/companies/me/invoices/lock",
        json={"numbers": [retitled["number"]]},
        headers={"Authorization": f"Bearer {company['token']}"},
    )
    assert claim.status_code == 200, claim.text
    page.reload()
    phone.screen("invoices")
    claimed = page.locator(f"details[data-number='{retitled['number']}']")
    expect(claimed.locator(".badge")).to_have_text(f"报销中（{company['name']}）")
    claimed.locator("summary").click()
    expect(claimed.locator(".history li")).to_have_count(2)
    expect(claimed.get_by_role("button", name="申请换开")).to_have_count(0)

    # A refund credit note for the other invoice, confirmed in a second step.
    older = page.locator(f"details[data-number='{second}']")
    older.locator("summary").click()
    older.get_by_role("button", name="申请退款红冲").click()
    older.get_by_role("button", name="确认开具红字发票").click()
    expect(page.locator("#status")).to_contain_text("已开具红字发票")
    expect(page.locator(f"details[data-number='{second}'] .badge")).to_have_text("已红冲")
    assert {i["number"]: i["status"] for i in _invoices(live)}[second] == "credited"
    claimed.locator("summary").click()  # the page was drawn afresh after the credit note
    expect(claimed.locator(".history li").last).to_contain_text("报销锁定 → 报销中")
    claimed.scroll_into_view_if_needed()
    phone.shot("06-invoice-claimed")
