import assert from "node:assert/strict";
import { MAX_QUOTED_CHARS, quoted, sanitize, sanitizeLines } from "../src/errors/printable_text.ts";

Deno.test("sanitize replaces every control character, escape sequences included", () => {
  assert.equal(sanitize("corp"), "corp");
  assert.equal(sanitize("evil\x1b[2Jname"), "evil?[2Jname");
  assert.equal(sanitize("a\nb\tc\rd\x00e\x7ff\x9bg"), "a?b?c?d?e?f?g");
  assert.equal(sanitize("網關 café"), "網關 café");
});

Deno.test("sanitizeLines is sanitize of each line, for every code point below U+0100", () => {
  const all = Array.from({ length: 0x100 }, (_, code) => String.fromCharCode(code)).join("");
  const text = `${all}\n\n${all}\n網關\x1b[2J`;
  assert.equal(sanitizeLines(text), text.split("\n").map(sanitize).join("\n"));
});

Deno.test("quoted escapes control characters and cuts long text, saying how long it was", () => {
  assert.equal(quoted("corp"), "corp");
  assert.equal(quoted("a\x1b[2Jb\n"), "a\\x1b[2Jb\\x0a");
  assert.equal(quoted("x".repeat(MAX_QUOTED_CHARS)), "x".repeat(MAX_QUOTED_CHARS));
  const long = quoted("y".repeat(10 * 1024 * 1024));
  assert.equal(long, `${"y".repeat(MAX_QUOTED_CHARS)}…(10485760 characters)`);
  assert.ok(!quoted("\x1b".repeat(1000)).includes("\x1b"));
});
