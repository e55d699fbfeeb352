"""Getting in and staying usable: phone sign-up, last-seen trips offline, and the
accessibility basics on every screen (labels, names, contrast, 200 % zoom)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.webclient.conftest import PHONE, Phone
from tests.webclient.live import Live

RIDER = "r0000005"
SCREENS = ["code", "trips", "account", "invoices", "verify", "more"]

# For each visible text node's element: its colour against the first opaque background
# up the tree, as WCAG 2 computes contrast. Large or bold text needs 3:1, the rest 4.5:1.
_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.checkVisibility() || el.closest('.sr')) continue;
    const style = getComputedStyle(el);
    const a = lum(rgb(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) low.push(`${node.textContent.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""

# Controls without a label, buttons and links without a name, images without text.
_UNNAMED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label');
    if (!labelled) bad.push(el.outerHTML.slice(0, 60));
  }
  for (const el of document.querySelectorAll('button, a[href], summary')) {
    const named = el.textContent.trim() || el.getAttribute('aria-label');
    if (!named) bad.push(el.outerHTML.slice(0, 60));
  }
  for (const el of document.querySelectorAll('canvas, img, svg')) {
    const named = el.getAttribute('aria-label') || el.getAttribute('alt');
    if (!named) bad.push(el.outerHTML.slice(0, 60));
  }
  return bad;
}"""


def test_a_new_rider_registers_with_a_phone_number(
    live: Live, phone: Phone, caplog: pytest.LogCaptureFixture
) -> None:
    page = phone.open()
    page.fill("input[name=phone]", "139 1234 5678")
    with caplog.at_level(logging.WARNING):
        page.get_by_role("button", name="获取验证码").click()
        expect(page.locator("#status")).to_contain_text("验证码已发送")
    (code,) = re.findall(r"sign-up code for 139\*+78: ([0-9]{6})", caplog.text)
    page.fill("input[name=code]", code)
    phone.shot("01-sign-up")
    page.get_by_role("button", name="注册并登录").click()
    phone.screen("code")
    page.click("a.tab[href='#/more']")
    phone.screen("more")
    expect(page.locator("main")).to_contain_text(re.compile(r"乘客编号\W+r[0-9a-f]{12}"))


def test_a_wrong_code_is_said_plainly(live: Live, phone: Phone) -> None:
    page = phone.open()
    page.fill("input[name=phone]", "13912345678")
    page.fill("input[name=code]", "000000")
    page.get_by_role("button", name="注册并登录").click()
    expect(page.locator("#status.error")).to_contain_text("注册失败")
    phone.errors.clear()  # the refused request's 401 is the point of this test


def test_the_last_seen_trips_are_shown_offline(live: Live, phone: Phone) -> None:
    live.ride("xili", "university-town", rider=RIDER)
    phone.sign_in(live.rider_token(RIDER))
    page = phone.page
    page.click("a.tab[href='#/trips']")
    expect(page.locator("li.trip")).to_have_count(1, timeout=15_000)
    page.evaluate("navigator.serviceWorker.ready")
    phone.context.set_offline(True)
    page.reload()  # the service worker answers with the page it kept
    phone.screen("trips")
    expect(page.locator("li.trip .route")).to_have_text("西丽 Xili → 大学城 University Town")
    expect(page.locator("main .hint").first).to_contain_text(re.compile(r"^离线\W+显示"))
    expect(page.locator("#status")).to_contain_text("离线")
    phone.shot("04-trips-offline")
    phone.context.set_offline(False)


def _audit(phone: Phone) -> dict[str, Any]:
    page = phone.page
    return {
        "unnamed": page.evaluate(_UNNAMED),
        "low contrast": page.evaluate(_CONTRAST),
        "overflow": page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        ),
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_screen_is_labelled_legible_and_fits_at_200_percent(
    live: Live, browser: Browser, lang: str
) -> None:
    live.ride("luohu", "laojie", rider=RIDER)
    problems: dict[str, Any] = {}
    # 200 % zoom on a 390 px phone is a 195 px wide layout viewport at twice the density.
    for zoom, viewport in ((1, PHONE), (2, {"width": 195, "height": 422})):
        context = browser.new_context(viewport=viewport, device_scale_factor=2 * zoom)  # type: ignore[arg-type]
        handset = Phone(context, live.base_url)
        handset.page.add_init_script(f"localStorage.setItem('fc.lang', '{lang}')")
        handset.open()
        problems[f"signin@{zoom}"] = _audit(handset)
        handset.sign_in(live.rider_token(RIDER))
        for screen in SCREENS:
            handset.page.goto(f"{live.base_url}/#/{screen}")
            handset.screen(screen)
            handset.page.wait_for_load_state("networkidle")
            problems[f"{screen}@{zoom}"] = _audit(handset)
            if zoom == 2 and screen in ("trips", "invoices") and lang == "zh":
                handset.shot(f"10-zoom-200-{screen}")
        context.close()
        assert handset.errors == []
    found = {
        k: v for k, v in problems.items() if v["unnamed"] or v["low contrast"] or v["overflow"] > 0
    }
    assert found == {}


def test_both_languages_have_every_word(live: Live, phone: Phone) -> None:
    page = phone.open()
    tables = page.evaluate(
        "async () => { const m = await import('/app/js/i18n.js'); "
        "return [Object.keys(m.STRINGS.zh), Object.keys(m.STRINGS.en)]; }"
    )
    zh, en = (set(keys) for keys in tables)
    assert zh == en, {"only zh": zh - en, "only en": en - zh}
    used = set()
    for path in (Path(__file__).resolve().parents[2] / "webclient" / "static" / "js").rglob("*.js"):
        used |= set(re.findall(r'\bt\("([a-zA-Z.]+)"', path.read_text()))
        used |= set(re.findall(r'"((?:verify|uscc)\.[a-zA-Z]+)"', path.read_text()))
    assert used - zh == set()
