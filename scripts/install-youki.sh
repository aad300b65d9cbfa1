#!/bin/sh
# Installs the youki OCI runtime (0.7.0, cgroup v1+v2 and seccomp support) when it is missing
# or another version. Does nothing when the right youki is already on PATH or in the prefix.
set -eu

version=0.7.0
if [ "$(id -u)" -eq 0 ]; then prefix=${YOUKI_PREFIX:-/usr/local}; else prefix=${YOUKI_PREFIX:-$HOME/.local}; fi

installed_version() {
  "$1" --version 2>/dev/null | sed -n 's/^youki version:\{0,1\} \([0-9.]*\).*/\1/p' | head -n 1
}

for candidate in "$prefix/bin/youki" "$(command -v youki 2>/dev/null || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(installed_version "$candidate")" = "$version" ]; then
    echo "youki $version already installed: $candidate" >&2
    exit 0
  fi
done

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for pkg in build-essential pkg-config libseccomp-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    echo "installing build dependencies:$missing" >&2
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is required to build youki $version (install Rust >= 1.88 with rustup)" >&2
  exit 1
fi

echo "building youki $version into $prefix/bin (takes several minutes)" >&2
cargo install youki --version "$version" --locked --features v1,v2,seccomp --root "$prefix" >&2
echo "youki $version installed: $prefix/bin/youki" >&2
