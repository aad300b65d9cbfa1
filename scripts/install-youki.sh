#!/bin/sh
# Installs the youki OCI runtime (0.7.0, cgroup v1+v2 and seccomp support) when it is missing
# or another version; silent when the right youki is already on PATH or in the prefix.
# youki is built once into a cache keyed by its version and features ($OPENSHELL_YOUKI_CACHE,
# default /var/cache/openshell-build as root, else ~/.cache/openshell-build), shared by every
# checkout on the machine, which the Debian package build reuses instead of building again.
#
# Usage: scripts/install-youki.sh [--cached-path]
#   --cached-path  only make sure the cached build exists, and print its path
set -eu

version=0.7.0
features=v1,v2,seccomp
# cargo records features sorted; the cache key uses the same order.
sorted_features=$(printf '%s\n' "$features" | tr , '\n' | LC_ALL=C sort | paste -sd, -)
if [ "$(id -u)" -eq 0 ]; then
  prefix=${YOUKI_PREFIX:-/usr/local}
  cache_root=${OPENSHELL_YOUKI_CACHE:-/var/cache/openshell-build}
else
  prefix=${YOUKI_PREFIX:-$HOME/.local}
  cache_root=${OPENSHELL_YOUKI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openshell-build}
fi
cache=$cache_root/youki-$version-$(printf '%s' "$sorted_features" | tr , -)

installed_version() {
  "$1" --version 2>/dev/null | sed -n 's/^youki version:\{0,1\} \([0-9.]*\).*/\1/p' | head -n 1
}

# cargo_built_here YOUKI: whether cargo's install record beside YOUKI (ROOT/bin/youki, record in
# ROOT/.crates2.json) shows it was built as this script builds it.
cargo_built_here() {
  record=$(dirname "$(dirname "$1")")/.crates2.json
  [ -f "$record" ] || return 1
  quoted=$(printf '%s' "$sorted_features" | sed 's/[^,]*/"&"/g')
  grep -Eq "\"youki $version \\([^\"]*\\)\":\\{[^}]*\"features\":\\[$quoted\\]" "$record"
}

# cached_build: makes sure $cache/bin/youki holds the build, reusing a recorded identical one.
cached_build() {
  if [ -x "$cache/bin/youki" ] && [ "$(installed_version "$cache/bin/youki")" = "$version" ]; then return; fi
  partial=$cache.partial.$$
  rm -rf "$partial"
  trap 'rm -rf "$partial"' EXIT
  mkdir -p "$(dirname "$cache")"
  for candidate in "$prefix/bin/youki" "$(command -v youki 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && cargo_built_here "$candidate" &&
      [ "$(installed_version "$candidate")" = "$version" ]; then
      echo "reusing youki $version built by cargo at $candidate" >&2
      mkdir -p "$partial/bin"
      cp "$candidate" "$partial/bin/youki"
      break
    fi
  done
  if [ ! -x "$partial/bin/youki" ]; then
    build_dependencies
    echo "building youki $version into $cache (takes several minutes)" >&2
    cargo install youki --version "$version" --locked --features "$features" --root "$partial" >&2
  fi
  rm -rf "$cache"
  mv "$partial" "$cache"
}

build_dependencies() {
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
}

case ${1:-} in
  --cached-path) cached_build; printf '%s\n' "$cache/bin/youki"; exit 0 ;;
  -h | --help) sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p;}' "$0"; exit 0 ;;
  '') ;;
  *) echo "error: unknown option '$1'" >&2; echo "hint: run $0 --help for usage" >&2; exit 2 ;;
esac

for candidate in "$prefix/bin/youki" "$(command -v youki 2>/dev/null || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(installed_version "$candidate")" = "$version" ]; then
    exit 0
  fi
done

cached_build
mkdir -p "$prefix/bin"
install -m 0755 "$cache/bin/youki" "$prefix/bin/youki.new.$$"
mv -f "$prefix/bin/youki.new.$$" "$prefix/bin/youki"
echo "youki $version installed: $prefix/bin/youki" >&2
