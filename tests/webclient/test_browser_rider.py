"""A rider on a phone-sized Chromium: sign in, trips as they seal, invoice titles,
documents, a receipt verified in the page, and the language switch. Screenshots of each
screen go to var/screenshots/."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from invoicing.uscc import uscc_check_char
from tests.webclient.conftest import Phone
from tests.webclient.live import Live

RIDER = "r0000002"  # an adult without a default title (r0000001 buys as a company)


def test_a_rider_signs_in_and_sees_a_trip_appear_with_its_fare(live: Live, phone: Phone) -> None:
    page = phone.open()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    phone.shot("01-sign-in")
    phone.sign_in(live.rider_token(RIDER))
    page.click("a.tab[href='#/trips']")
    phone.screen("trips")
    expect(page.locator(".empty")).to_be_visible()
    # The gates' taps: Luohu to Shopping Park is 7.9 km on Line 1, 3 yuan (4-8 km band).
    live.ride("luohu", "shopping-park", rider=RIDER)
    trip = page.locator("li.trip").first
    expect(trip).to_be_visible(timeout=15_000)  # polled: the page was not reloaded
    expect(trip.locator(".fare")).to_contain_text("¥3.00")
    expect(trip.locator(".route")).to_have_text("罗湖 Luohu → 购物公园 Shopping Park")
    expect(trip.locator(".quote li")).to_have_count(1)
    expect(trip.locator(".quote li").first).to_contain_text("按里程计价")
    expect(page.locator("#status")).to_contain_text("¥3.00")
    phone.shot("03-trips")


def test_an_incomplete_journey_is_flagged(live: Live, phone: Phone) -> None:
    from datetime import UTC, datetime, timedelta

    # An exit with no entry: the edge turns it into an incomplete trip at once.
    live.tap("gate-szmc-futian", "exit", datetime.now(UTC) - timedelta(minutes=2), rider=RIDER)
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.click("a.tab[href='#/trips']")
    trip = page.locator("li.trip.incomplete").first
    expect(trip).to_be_visible(timeout=15_000)
    expect(trip.locator(".badge.warn")).to_contain_text("不完整行程")


def test_a_company_title_is_checked_as_it_is_typed_and_added(live: Live, phone: Phone) -> None:
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.click("a.tab[href='#/invoices']")
    phone.screen("invoices")
    first17 = "91440300MA5G00123"
    right = first17 + uscc_check_char(first17)
    wrong = first17 + ("0" if right[-1] != "0" else "1")
    page.fill("input[name=name]", "深圳示例科技有限公司")
    add = page.locator("form button[type=submit]")
    tax_id = page.locator("input[name=tax_id]")
    tax_id.fill(first17[:10])
    verdict = phone.described_by("input[name=tax_id]")
    expect(verdict).to_contain_text("10")
    expect(add).to_be_disabled()
    tax_id.fill(wrong)
    expect(verdict).to_contain_text(f"校验位应为“{right[-1]}”")
    expect(tax_id).to_have_attribute("aria-invalid", "true")
    expect(add).to_be_disabled()
    phone.shot("05-title-wrong-check")
    tax_id.fill(right.lower())  # typed in lower case: the page writes it in capitals
    expect(tax_id).to_have_value(right)
    expect(verdict).to_contain_text("税号校验通过")
    page.check("input[name=is_default]")
    add.click()
    expect(page.locator("label", has_text="深圳示例科技有限公司")).to_be_visible()
    expect(page.locator("fieldset input[type=radio]:checked + label")).to_contain_text(right)
    titles = live.http.get(
        "/v1/me/titles", headers={"Authorization": f"Bearer {live.rider_token(RIDER)}"}
    ).json()
    defaults = [(t["name"], t["tax_id"]) for t in titles if t["is_default"]]
    assert defaults == [("深圳示例科技有限公司", right)]
    phone.shot("05-invoices-titles")


def test_an_invoice_pdf_downloads_and_its_receipt_verifies_in_the_page(
    live: Live, phone: Phone
) -> None:
    live.ride("laojie", "chegongmiao", rider=RIDER)
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.click("a.tab[href='#/invoices']")
    invoice = page.locator("details.invoice").first
    expect(invoice).to_be_visible(timeout=15_000)
    invoice.locator("summary").click()
    expect(invoice.locator(".badge")).to_contain_text("已开具")
    expect(invoice.locator(".history li")).to_have_count(1)
    number = invoice.get_attribute("data-number")
    assert number is not None and re.fullmatch(r"[0-9]{20}", number)
    phone.shot("06-invoice")
    with page.expect_download() as download_info:
        invoice.get_by_role("button", name="下载 PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    assert download.path().read_bytes().startswith(b"%PDF-")
    live.stop_payments()  # its records would make a newer, uncosigned checkpoint
    live.cosign()  # the tax bureau's witness cosigns the checkpoint holding the invoice
    invoice.get_by_role("button", name="验证收据").click()
    phone.screen("verify")
    result = page.locator("section.result")
    expect(result).to_have_attribute("data-verdict", "valid", timeout=10_000)
    expect(result.locator(".verdict")).to_contain_text("收据真实有效")
    expect(result).to_contain_text(f"发票 {number}")
    # record, opened personal fields, inclusion, log signature, cosignature
    expect(result.locator(".steps li.ok")).to_have_count(5)
    expect(result).to_contain_text(f"乘客 {RIDER}")  # the rider's own receipt opens the record
    expect(result).to_contain_text("见证方 tax.example/witness")
    phone.shot("07-verify-receipt")
    # One changed character of the record, pasted back: the page says it does not verify.
    text = page.locator("textarea[name=receipt]").input_value()
    lines = text.split("\n")
    record = lines[1]
    lines[1] = record[:20] + ("A" if record[20] != "A" else "B") + record[21:]
    page.fill("textarea[name=receipt]", "\n".join(lines))
    page.click("form button[type=submit]")
    expect(result).to_have_attribute("data-verdict", "invalid")
    expect(result.locator(".verdict")).to_contain_text("未通过验证")
    expect(result.locator("p").nth(1)).to_have_text("")  # no record to describe, and no "null"
    phone.shot("07-verify-tampered")


def test_the_language_switch_is_remembered(live: Live, phone: Phone) -> None:
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("a.tab[href='#/trips']")).to_have_text("Trips")
    expect(page.locator("#lang")).to_have_text("中文")
    page.reload()
    phone.screen("code")
    expect(page.locator("h1")).to_have_text("Shenzhen Ride")
    page.click("a.tab[href='#/more']")
    phone.screen("more")
    expect(page.locator("#lang-en")).to_be_checked()
    phone.shot("09-more-english")
    page.check("#lang-zh")
    expect(page.locator("a.tab[href='#/trips']")).to_have_text("行程")
