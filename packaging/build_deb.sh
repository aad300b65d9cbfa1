#!/bin/sh
# Builds openshell_<version>_<arch>.deb with debhelper (`dpkg-buildpackage -b`) from the source
# directory packaging/debian/, copied into a build tree with its changelog. The inputs are
# prebuilt: the program as install.sh installs it under /usr (compiled binary when possible,
# otherwise from source with the bundled Deno), and youki, the private OCI runtime.
#
# Usage: packaging/build_deb.sh [--binary FILE | --source] [--endpoint URL] [--system-dir DIR]
#                               [--youki FILE] [--version VERSION] [--output DIR]
#   --binary FILE        package FILE as the compiled binary
#   --source             package the source install without trying `deno compile`
#   --endpoint URL       endpoint of the packaged gateway (default http://127.0.0.1:8090, where serve listens)
#   --system-dir DIR     the system gateway registry, the installed program's default (default /etc/openshell)
#   --youki FILE         package FILE as the runtime (default: youki 0.7.0 from scripts/install-youki.sh,
#                        built once and cached)
#   --version VERSION    the package version (default: the program's, from deno.json)
#   --output DIR         where the .deb goes (default dist/)
# DEBFULLNAME and DEBEMAIL set the changelog's maintainer.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
endpoint=http://127.0.0.1:8090
system_dir=/etc/openshell
youki=
version=
output=$repo/dist
program=
binary=

die() {
  printf 'error: %s\n' "$1" >&2
  exit 1
}

# usage_error MESSAGE: a malformed command line, exit 2.
usage_error() {
  printf 'error: %s\nhint: run %s --help for usage\n' "$1" "$0" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --binary) [ $# -ge 2 ] || usage_error "--binary needs a file"; program=--binary; binary=$(realpath "$2"); shift 2 ;;
    --source) program=--source; binary=; shift ;;
    --endpoint) [ $# -ge 2 ] || usage_error "--endpoint needs a URL"; endpoint=$2; shift 2 ;;
    --system-dir) [ $# -ge 2 ] || usage_error "--system-dir needs a directory"; system_dir=$2; shift 2 ;;
    --youki) [ $# -ge 2 ] || usage_error "--youki needs a file"; youki=$2; shift 2 ;;
    --version) [ $# -ge 2 ] || usage_error "--version needs a version"; version=$2; shift 2 ;;
    --output) [ $# -ge 2 ] || usage_error "--output needs a directory"; output=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p;}' "$0"; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

case $system_dir in
  /*) system_dir=$(printf '%s' "$system_dir" | sed 's|/*$||') ;;
  *) usage_error "--system-dir must be an absolute path: '$system_dir'" ;;
esac
case $system_dir in '' | *[!A-Za-z0-9._/+-]*) usage_error "--system-dir must be a plain path other than /: '$system_dir'" ;; esac
case $version in *[!A-Za-z0-9.+~-]*) usage_error "--version must be a Debian version: '$version'" ;; esac
command -v dpkg-buildpackage >/dev/null 2>&1 || die "dpkg-buildpackage not found (install dpkg-dev and debhelper)"
# The runtime is built at package-build time (once; later builds reuse the cache).
if [ -z "$youki" ]; then youki=$("$repo/scripts/install-youki.sh" --cached-path); fi
if [ ! -f "$youki" ] || [ ! -x "$youki" ]; then die "no youki executable at '$youki'"; fi
youki=$(realpath "$youki")
[ -n "$version" ] || version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$repo/deno.json")
[ -n "$version" ] || die "no version in $repo/deno.json"
mkdir -p "$output"
output=$(realpath "$output")

work=$(mktemp -d "${TMPDIR:-/tmp}/openshell-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/openshell-$version
mkdir "$tree"
cp -R "$repo/packaging/debian" "$tree/debian"
maintainer="${DEBFULLNAME:-OpenShell maintainers} <${DEBEMAIL:-maintainers@openshell.dev}>"
date=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf 'openshell (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$version" "$version" "$maintainer" "$date" >"$tree/debian/changelog"

# Root builds need no fakeroot (Rules-Requires-Root: no); an ordinary user's build does.
(cd "$tree" && OPENSHELL_REPO=$repo OPENSHELL_PROGRAM=$program OPENSHELL_BINARY=$binary \
  OPENSHELL_YOUKI=$youki OPENSHELL_ENDPOINT=$endpoint OPENSHELL_SYSTEM_DIR=$system_dir \
  dpkg-buildpackage -b -us -uc --no-sign >"$work/build.log" 2>&1) ||
  { tail -n 40 "$work/build.log" >&2; die "dpkg-buildpackage failed (its log's end is above)"; }
deb=$(find "$work" -maxdepth 1 -name "openshell_${version}_*.deb")
[ -n "$deb" ] || die "dpkg-buildpackage made no openshell_${version} package"
mv "$deb" "$output/"
printf '%s\n' "$output/$(basename "$deb")"
