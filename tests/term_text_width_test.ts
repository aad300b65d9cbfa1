import assert from "node:assert/strict";
import { displayWidth, fit, truncate } from "../src/term/_text_width.ts";

Deno.test("displayWidth counts ASCII as one cell, CJK as two, combining marks as none", () => {
  assert.equal(displayWidth(""), 0);
  assert.equal(displayWidth("corp"), 4);
  assert.equal(displayWidth("網關"), 4);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(displayWidth("🚀"), 2);
});

Deno.test("truncate keeps text that fits and is otherwise cut with one ellipsis", () => {
  assert.equal(truncate("corp", 4), "corp");
  assert.equal(truncate("corp", 10), "corp");
  assert.equal(truncate("corporate", 5), "corp…");
  assert.equal(truncate("corporate", 1), "…");
  assert.equal(truncate("corporate", 0), "");
  assert.equal(truncate("corporate", -3), "");
});

Deno.test("truncate never returns more cells than asked for, whatever the text", () => {
  const samples = [
    "http://127.0.0.1:8080",
    "網關網關網關",
    "a網b關c",
    "🚀🚀🚀",
    "e\u0301e\u0301e\u0301x",
  ];
  for (const text of samples) {
    for (let width = 0; width <= displayWidth(text) + 2; width++) {
      const cut = truncate(text, width);
      assert.ok(displayWidth(cut) <= width, `${JSON.stringify(cut)} wider than ${width}`);
      if (displayWidth(text) <= width) assert.equal(cut, text);
      else if (width > 0) assert.ok(cut.endsWith("…"), `${JSON.stringify(cut)} at ${width}`);
    }
  }
});

Deno.test("truncate does not split a wide character across the limit", () => {
  assert.equal(truncate("網關網關", 4), "網…");
  assert.equal(truncate("網關網關", 5), "網關…");
});

Deno.test("fit pads to exactly the width and truncates beyond it", () => {
  assert.equal(fit("user", 6), "user  ");
  assert.equal(fit("system", 6), "system");
  assert.equal(fit("systemd", 6), "syste…");
  assert.equal(fit("網", 3), "網 ");
  assert.equal(displayWidth(fit("網關網", 4)), 4);
});
