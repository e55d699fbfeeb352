// Unified social credit codes (统一社会信用代码), GB 32100-2015: a port of invoicing/uscc.py.
// 18 symbols over 0-9 and A-Y without I, O, S, V, Z; the 18th is the check character:
// weights 3^i mod 31, check value 31 - (sum mod 31), 31 written as "0".
// tests/webclient checks that this and the Python module agree.

export const USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

// The check character completing 17 symbols, or null if one of them is not allowed.
export function usccCheckChar(first17) {
  if (first17.length !== 17) return null;
  let total = 0;
  for (let i = 0; i < 17; i++) {
    const value = USCC_ALPHABET.indexOf(first17[i]);
    if (value < 0) return null;
    total += value * WEIGHTS[i];
  }
  return USCC_ALPHABET[(31 - (total % 31)) % 31];
}

// What is wrong with a code typed so far: {ok, reason, position?, expected?}.
// `reason` is a key the page translates; a code still being typed is "short", not wrong.
export function checkUscc(code) {
  for (let i = 0; i < Math.min(code.length, 18); i++) {
    if (USCC_ALPHABET.indexOf(code[i]) < 0) {
      return { ok: false, reason: "uscc.badChar", position: i + 1, char: code[i] };
    }
  }
  if (code.length < 18) return { ok: false, reason: "uscc.short", count: code.length };
  if (code.length > 18) return { ok: false, reason: "uscc.long", count: code.length };
  const expected = usccCheckChar(code.slice(0, 17));
  if (code[17] !== expected) return { ok: false, reason: "uscc.checkChar", expected, got: code[17] };
  return { ok: true, reason: "uscc.ok" };
}

export const isValidUscc = (code) => checkUscc(code).ok;
