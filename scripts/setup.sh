#!/bin/sh
# Installs what openshell needs to run from source, when missing: Deno (from npm, pinned,
# into .tools/) and youki. With --test, also what the test suite uses: Debian packages
# (tmux, runc, debootstrap, lintian, piuparts, debhelper and bash-completion for the package build,
# shellcheck, wrk, hyperfine, time, systemd-container for systemd-nspawn, skopeo, umoci, podman,
# catatonit, curl, zsh, fish, python3) and an ordinary user for the rootless tests. Safe to run
# again, and silent when nothing is missing.
# Usage: scripts/setup.sh [--test | --deno-only]
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
deno_version=2.9.6
deno="$repo/.tools/node_modules/deno/deno"

if [ ! -x "$deno" ] || [ "$("$deno" --version 2>/dev/null | sed -n '1s/^deno \([^ ]*\).*/\1/p')" != "$deno_version" ]; then
  echo "installing deno $deno_version into $repo/.tools" >&2
  mkdir -p "$repo/.tools"
  [ -f "$repo/.tools/package.json" ] || echo '{"private":true}' >"$repo/.tools/package.json"
  (cd "$repo/.tools" && npm install --no-audit --no-fund --loglevel=error "deno@$deno_version" >&2)
fi

[ "${1:-}" != "--deno-only" ] || exit 0

# The npm packages in node_modules/, whole before anything runs: a tree that fills in while
# the tests run would change under the install tests' copies of it.
(cd "$repo" && "$deno" install --quiet) >&2

# The gateway rootfs image (rootfs/dist/), built when missing or out of date.
(cd "$repo" && "$deno" run -A --quiet rootfs/build.ts --if-stale) >&2

"$repo/scripts/install-youki.sh"

[ "${1:-}" = "--test" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: not root, skipping test packages and the rootless test user" >&2
  exit 0
fi

missing=""
for pkg in tmux runc debootstrap lintian piuparts debhelper bash-completion shellcheck wrk hyperfine time \
  dpkg-dev fakeroot systemd-container skopeo umoci podman catatonit openssh-client openssl curl zsh fish \
  python3; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "installing test packages:$missing" >&2
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
fi

# The package tests build with the cached youki; a youki installed before the cache existed
# has no build record to reuse, so the cache is filled here, where cargo is on PATH.
"$repo/scripts/install-youki.sh" --cached-path >/dev/null

# The rootless tests run the real program as this ordinary user.
if ! id openshell-test >/dev/null 2>&1; then
  echo "creating the rootless test user openshell-test" >&2
  useradd --create-home --shell /bin/sh openshell-test
fi
