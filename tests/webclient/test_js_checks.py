"""The page's own checks, run in Chromium, against the Python they port: the GB 32100 tax
ID check (webclient/static/js/uscc.js vs invoicing/uscc.py), and receipt verification
(webclient/static/js/receipt.js vs ledger/receipt.py) on real and altered receipts and on
the public RFC 6962 inclusion vectors."""

from __future__ import annotations

import base64
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from invoicing.uscc import USCC_ALPHABET, is_valid_uscc, uscc_check_char
from ledger.exceptions import ReceiptError
from ledger.receipt import verify_receipt
from tests.webclient.conftest import Phone
from tests.webclient.live import Live

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "rfc6962"
RIDER = "r0000003"


def _module(page: Page, name: str) -> None:
    page.evaluate(f"async () => {{ window.m = await import('/app/js/{name}.js'); }}")


def _random_code(rng: random.Random) -> str:
    alphabet = USCC_ALPHABET + "IOSVZa-"
    length = rng.choice([17, 18, 18, 18, 19])
    return "".join(
        rng.choice(alphabet if rng.random() < 0.05 else USCC_ALPHABET) for _ in range(length)
    )


def test_the_tax_id_check_agrees_with_python(live: Live, phone: Phone) -> None:
    page = phone.open()
    _module(page, "uscc")
    rng = random.Random(18)
    prefixes = ["".join(rng.choice(USCC_ALPHABET) for _ in range(17)) for _ in range(2000)]
    # Known answers: the demo sellers' codes and a code of the standard's own shape.
    prefixes += ["91440300MA5FC0001", "91440300MA5FC0002", "91350100M000100Y4"]
    got = page.evaluate("(xs) => xs.map((x) => window.m.usccCheckChar(x))", prefixes)
    assert got == [uscc_check_char(p) for p in prefixes]
    assert got[-3:] == [
        uscc_check_char("91440300MA5FC0001"),
        uscc_check_char("91440300MA5FC0002"),
        "3",
    ]
    codes = [_random_code(rng) for _ in range(3000)]
    codes += [p + uscc_check_char(p) for p in prefixes[:500]]  # valid ones, plenty
    codes += ["91350100M000100Y43", "91350100M000100Y4", "91350100m000100Y43", ""]
    verdicts = page.evaluate("(xs) => xs.map((x) => window.m.isValidUscc(x))", codes)
    assert verdicts == [is_valid_uscc(c) for c in codes]
    assert sum(verdicts) >= 500


def test_the_tax_id_check_names_what_is_wrong(live: Live, phone: Phone) -> None:
    page = phone.open()
    _module(page, "uscc")

    def check(code: str) -> Any:
        return page.evaluate("(c) => window.m.checkUscc(c)", code)

    assert check("91350100M000100Y43") == {"ok": True, "reason": "uscc.ok"}
    assert check("91350100M000100Y48") == {
        "ok": False, "reason": "uscc.checkChar", "expected": "3", "got": "8"
    }  # fmt: skip
    assert check("9135O") == {"ok": False, "reason": "uscc.badChar", "position": 5, "char": "O"}
    assert check("913501") == {"ok": False, "reason": "uscc.short", "count": 6}


def _receipts(live: Live) -> list[str]:
    """A sealed trip's and its invoice's receipts, cosigned by the tax bureau."""
    live.ride("luohu", "futian", rider=RIDER)
    headers = {"Authorization": f"Bearer {live.rider_token(RIDER)}"}
    for _ in range(200):
        trips = live.http.get("/v1/me/trips", headers=headers).json()
        if trips:
            break
        time.sleep(0.05)
    live.stop_payments()  # its records would make a newer, uncosigned checkpoint
    live.cosign()
    invoice = live.http.get("/v1/me/invoices", headers=headers).json()[0]["number"]
    return [
        live.http.get(f"/v1/me/trips/{trips[0]['event_id']}/receipt", headers=headers).text,
        live.http.get(f"/v1/me/invoices/{invoice}/receipt", headers=headers).text,
    ]


def _altered(receipt: str) -> dict[str, str]:
    lines = receipt.split("\n")
    assert lines[2].startswith("opening ")  # the rider's own receipts open the record
    at_index = 3
    blank = lines.index("", at_index)

    def change(number: int, text: str) -> str:
        copy = list(lines)
        copy[number] = text
        return "\n".join(copy)

    record = base64.b64decode(lines[1].removeprefix("extra "))
    at = next(i for i, b in enumerate(record) if chr(b).isdigit())  # one digit of a value
    richer = (
        record[:at] + bytes([ord("1") if record[at] != ord("1") else ord("2")]) + record[at + 1 :]
    )
    raw_proof = base64.b64decode(lines[at_index + 1]) if blank > at_index + 1 else None
    opening = base64.b64decode(lines[2].removeprefix("opening "))
    other_salt = bytes([opening[0] ^ 1]) + opening[1:]
    out = {
        "record": change(1, "extra " + base64.b64encode(richer).decode()),
        "opening": change(2, "opening " + base64.b64encode(other_salt).decode()),
        "index": change(at_index, f"index {int(lines[at_index].split()[1]) + 1}"),
        "no cosignature": "\n".join(x for x in lines if not x.startswith("— tax.example")),
        "log signature": "\n".join(
            x[:-6] + ("AAAA==" if not x.endswith("AAAA==") else "BBBB==")
            if x.startswith("— farechain")
            else x
            for x in lines
        ),
        "root": change(blank + 3, base64.b64encode(bytes(32)).decode()),
    }
    if raw_proof is not None:
        flipped = base64.b64encode(bytes(b ^ 1 for b in raw_proof)).decode()
        out["proof"] = change(at_index + 1, flipped)
    return out


def _python_verdict(text: str, keys: dict[str, Any]) -> bool:
    try:
        verify_receipt(text, keys["log"], keys["witnesses"], quorum=1)
    except ReceiptError:
        return False
    return True


def test_receipts_verify_in_the_page_as_in_python(live: Live, phone: Phone) -> None:
    page = phone.open()
    _module(page, "receipt")
    keys = live.http.get("/app/keys.json").json()
    assert len(keys["witnesses"]) == 1
    cases: dict[str, str] = {}
    for n, receipt in enumerate(_receipts(live)):
        cases[f"{n}: genuine"] = receipt
        cases.update({f"{n}: altered {what}": text for what, text in _altered(receipt).items()})
    results = page.evaluate(
        """async ([cases, keys]) => {
            const out = {};
            for (const [name, text] of Object.entries(cases)) {
                const trust = {logKeys: keys.log, witnessKeys: keys.witnesses};
                const r = await window.m.verifyReceipt(text, trust);
                out[name] = {ok: r.ok, steps: r.steps.map((s) => s.key), record: r.record};
            }
            return out;
        }""",
        [cases, keys],
    )
    for name, text in cases.items():
        assert results[name]["ok"] == _python_verdict(text, keys), name
        assert results[name]["ok"] == name.endswith("genuine"), (name, results[name])
    assert results["0: genuine"]["steps"] == [
        "verify.record", "verify.opened", "verify.included", "verify.logSigned", "verify.cosigned"
    ]  # fmt: skip
    # The page opens the personal fields as Python does: the whole record, the rider's own.
    for which in ("0", "1"):
        opened = verify_receipt(cases[f"{which}: genuine"], keys["log"], keys["witnesses"], 1)
        assert opened.opened and results[f"{which}: genuine"]["record"] == opened.record
        assert opened.record["rider"] == RIDER and "personal" not in opened.record
    assert results["0: altered opening"]["steps"][-1] == "verify.openingBad"
    assert results["0: altered record"]["steps"][-1] == "verify.rootMismatch"
    assert results["1: altered no cosignature"]["steps"][-1] == "verify.cosigMissing"
    assert results["1: altered log signature"]["steps"][-1] == "verify.logSigBad"
    # With someone else's log key, the genuine receipt is refused too.
    other = "farechain.example/ledger+00000000+" + base64.b64encode(bytes([1]) + bytes(32)).decode()
    refused = page.evaluate(
        """async ([text, keys]) => {
            try { return (await window.m.verifyReceipt(text, keys)).ok; }
            catch (e) { return e.message; }
        }""",
        [cases["0: genuine"], {"logKeys": [other], "witnessKeys": keys["witnesses"]}],
    )
    assert refused == "farechain.example/ledger: key ID does not match"


@pytest.mark.skipif(not VECTORS.is_dir(), reason=f"RFC 6962 vectors not found at {VECTORS}")
def test_the_inclusion_check_agrees_with_the_public_vectors(live: Live, phone: Phone) -> None:
    page = phone.open()
    _module(page, "receipt")
    cases = [json.loads(p.read_text()) for p in sorted((VECTORS / "inclusion").rglob("*.json"))]
    assert len(cases) == 98
    verdicts = page.evaluate(
        """async (cases) => {
            const b = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
            const eq = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);
            const out = [];
            for (const c of cases) {
                try {
                    const root = await window.m.rootFromInclusion(
                        b(c.leafHash), c.leafIdx, c.treeSize, (c.proof || []).map(b));
                    out.push(eq(root, b(c.root)));
                } catch (e) { out.push(false); }
            }
            return out;
        }""",
        cases,
    )
    assert verdicts == [not c["wantErr"] for c in cases]
