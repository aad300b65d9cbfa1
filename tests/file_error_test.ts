import assert from "node:assert/strict";
import {
  asFileUserError,
  fileError,
  fileErrorHint,
  isFileSystemError,
  osReason,
} from "../src/errors/user_error.ts";
import { UserError } from "../src/errors/user_error.ts";

function osError(message: string, code: string, kind: new (m: string) => Error = Error): Error {
  return Object.assign(new kind(message), { code });
}

Deno.test("asFileUserError names the path and the reason of Deno's file errors", () => {
  const cases: [Error, string, RegExp | undefined][] = [
    [
      osError("No space left on device (os error 28): writefile '/c/a b'", "ENOSPC"),
      'Cannot write "/c/a b": no space left on device',
      /full/,
    ],
    [
      osError("Read-only file system (os error 30): mkdir '/ro/x'", "EROFS"),
      'Cannot create directory "/ro/x": read-only file system',
      /read-only/,
    ],
    [
      osError("Is a directory (os error 21): readfile '/t'", "EISDIR", Deno.errors.IsADirectory),
      'Cannot read "/t": is a directory',
      /directory is where a file/,
    ],
    [
      osError("Permission denied (os error 13): open '/p'", "EACCES", Deno.errors.PermissionDenied),
      'Cannot open "/p": permission denied',
      /permissions/,
    ],
    [
      osError("Invalid cross-device link (os error 18): rename '/a' -> '/b'", "EXDEV"),
      'Cannot rename "/a" to "/b": invalid cross-device link',
      undefined,
    ],
    [
      osError("No such file or directory (os error 2): chown '/n'", "ENOENT", Deno.errors.NotFound),
      'Cannot change the owner of "/n": no such file or directory',
      undefined,
    ],
  ];
  for (const [error, message, hint] of cases) {
    const user = asFileUserError(error);
    assert.ok(user instanceof UserError);
    assert.equal(user.message, message);
    if (hint) assert.match(user.hint ?? "", hint);
    else assert.equal(user.hint, undefined);
    assert.equal(user.cause, error);
  }
});

Deno.test("asFileUserError leaves everything but file errors to the bug report", () => {
  assert.equal(asFileUserError(new TypeError("x is undefined")), undefined);
  assert.equal(asFileUserError(new RangeError("Maximum call stack size exceeded")), undefined);
  assert.equal(
    asFileUserError(osError("Connection refused (os error 111)", "ECONNREFUSED")),
    undefined,
  );
  assert.equal(asFileUserError("text"), undefined);
  assert.equal(isFileSystemError(osError("Disk quota exceeded (os error 122)", "EDQUOT")), true);
});

Deno.test("fileError reports a temp file's failure for the file it was to become", () => {
  const cause = osError("No space left on device (os error 28)", "ENOSPC");
  const inner = fileError("Cannot write", "/d/.x.tmp", cause);
  const outer = fileError("Cannot write", "/d/metadata.json", inner);
  assert.equal(outer.message, 'Cannot write "/d/metadata.json": no space left on device');
  assert.equal(outer.cause, cause);
  assert.match(outer.hint ?? "", /full/);
  assert.equal(osReason(new Deno.errors.NotFound("x")), "no such file or directory");
  assert.equal(fileErrorHint(new Error("plain")), undefined);
});
