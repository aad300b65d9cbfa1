#!/bin/sh
# Builds dist/openshell_<version>_<arch>.deb with dpkg-deb: the program as install.sh installs
# it under /usr (compiled binary when possible, otherwise from source with the bundled Deno),
# its OCI runtime youki in /usr/libexec/openshell/, the packaged gateway `openshell` seeded in
# the system registry (a conffile under /etc), and systemd units.
#
# Usage: packaging/build_deb.sh [--binary FILE | --source] [--endpoint URL] [--system-dir DIR]
#                               [--youki FILE] [--output DIR]
#   --binary FILE     package FILE as the compiled binary
#   --source          package the source install without trying `deno compile`
#   --endpoint URL    endpoint of the packaged gateway (default http://127.0.0.1:8090, where serve listens)
#   --system-dir DIR  the system gateway registry, the installed program's default (default /etc/openshell)
#   --youki FILE      package FILE as the runtime (default: youki 0.7.0 from scripts/install-youki.sh,
#                     built once and cached)
#   --output DIR      where the .deb goes (default dist/)
# DEBFULLNAME and DEBEMAIL set the maintainer.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
packaging=$repo/packaging
endpoint=http://127.0.0.1:8090
system_dir=/etc/openshell
youki=
output=$repo/dist
set_program=
maintainer="${DEBFULLNAME:-OpenShell maintainers} <${DEBEMAIL:-maintainers@openshell.dev}>"

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
    --binary) [ $# -ge 2 ] || usage_error "--binary needs a file"; set_program="--binary $2"; binary=$2; shift 2 ;;
    --source) set_program=--source; shift ;;
    --endpoint) [ $# -ge 2 ] || usage_error "--endpoint needs a URL"; endpoint=$2; shift 2 ;;
    --system-dir) [ $# -ge 2 ] || usage_error "--system-dir needs a directory"; system_dir=$2; shift 2 ;;
    --youki) [ $# -ge 2 ] || usage_error "--youki needs a file"; youki=$2; shift 2 ;;
    --output) [ $# -ge 2 ] || usage_error "--output needs a directory"; output=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p;}' "$0"; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found (install dpkg-dev)"
case $system_dir in
  /*) system_dir=$(printf '%s' "$system_dir" | sed 's|/*$||') ;;
  *) usage_error "--system-dir must be an absolute path: '$system_dir'" ;;
esac
case $system_dir in '' | *[!A-Za-z0-9._/+-]*) usage_error "--system-dir must be a plain path other than /: '$system_dir'" ;; esac
# The runtime is built at package-build time (once; later builds reuse the cache).
if [ -z "$youki" ]; then youki=$("$repo/scripts/install-youki.sh" --cached-path); fi
if [ ! -f "$youki" ] || [ ! -x "$youki" ]; then die "no youki executable at '$youki'"; fi
version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$repo/deno.json")
[ -n "$version" ] || die "no version in $repo/deno.json"
arch=$(dpkg --print-architecture)
deb=$output/openshell_${version}_${arch}.deb

work=$(mktemp -d "${TMPDIR:-/tmp}/openshell-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# The program and the seeded gateway, exactly as install.sh lays them out; install.sh also
# records the system registry as the program's default.
case $set_program in
  --binary*) "$repo/install.sh" --destdir "$root" --prefix /usr --system-dir "$system_dir" \
    --binary "$binary" --gateway "openshell=$endpoint" ;;
  --source) "$repo/install.sh" --destdir "$root" --prefix /usr --system-dir "$system_dir" \
    --source --gateway "openshell=$endpoint" ;;
  *) "$repo/install.sh" --destdir "$root" --prefix /usr --system-dir "$system_dir" \
    --gateway "openshell=$endpoint" ;;
esac
# The private runtime, found by `serve` before PATH; stripped as Debian ships binaries.
install -d -m 0755 "$root/usr/libexec/openshell"
install -m 0755 "$youki" "$root/usr/libexec/openshell/youki"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
  "$root/usr/libexec/openshell/youki"
# dpkg keeps the file list; install.sh's own manifest has no place in the package.
rm -f "$root/usr/lib/openshell/install-manifest"
# npm's command-line entry points are never run here (Deno imports the libraries), and they
# would ask for node.
rm -rf "$root/usr/lib/openshell/node_modules/.bin"
find "$root/usr/lib/openshell/node_modules" -type f -perm /111 -exec chmod a-x {} +
# Files npm packages carry for their own development, never read at run time.
find "$root/usr/lib/openshell/node_modules" -type f \( -name '.eslintrc*' -o -name '.npmignore' \) -delete

install -d -m 0755 "$root/usr/share/lintian/overrides"
install -m 0644 "$packaging/debian/lintian-overrides" "$root/usr/share/lintian/overrides/openshell"

install -d -m 0755 "$root/lib/systemd/system" "$root/usr/lib/systemd/user" "$root/usr/share/doc/openshell"
install -m 0644 "$packaging/systemd/openshell-gateway@.service" "$root/lib/systemd/system/"
install -m 0644 "$packaging/systemd/openshell-gateway-user@.service" \
  "$root/usr/lib/systemd/user/openshell-gateway@.service"

# Documentation Debian requires: copyright (with the bundled npm packages) and a changelog.
{
  cat "$packaging/debian/copyright.head"
  find "$root/usr/lib/openshell/node_modules/.deno" -path '*/node_modules/*/package.json' \
    -not -path '*/node_modules/*/node_modules/*/node_modules/*' | LC_ALL=C sort |
    while IFS= read -r manifest; do
      dir=$(dirname "$manifest")
      license=$(sed -n 's/^  "license": "\([^"]*\)".*/\1/p' "$manifest" | head -n 1)
      [ -n "$license" ] || continue
      [ "$license" != MIT ] || license=Expat
      printf '\nFiles: %s/*\nCopyright: the %s authors\nLicense: %s\n' \
        "${dir#"$root"/}" "$(basename "$dir")" "$license"
    done
  printf '\nLicense: Expat\n'
  sed 's/^$/./; s/^/ /' "$packaging/debian/expat.txt"
} >"$root/usr/share/doc/openshell/copyright"
chmod 0644 "$root/usr/share/doc/openshell/copyright"
date=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf 'openshell (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$version" "$version" "$maintainer" "$date" |
  gzip -9n >"$root/usr/share/doc/openshell/changelog.gz"
chmod 0644 "$root/usr/share/doc/openshell/changelog.gz"

install -d -m 0755 "$root/usr/share/man/man1"
gzip -9n <"$packaging/debian/openshell.1" >"$root/usr/share/man/man1/openshell.1.gz"
chmod 0644 "$root/usr/share/man/man1/openshell.1.gz"

# Control files.
install -d -m 0755 "$root/DEBIAN"
for script in postinst prerm postrm; do
  sed "s|@SYSTEM_DIR@|$system_dir|g" "$packaging/debian/$script" >"$root/DEBIAN/$script"
  chmod 0755 "$root/DEBIAN/$script"
done
(cd "$root" && { [ ! -d etc ] || find etc -type f; } | LC_ALL=C sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
  xargs -d '\n' md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
[ -s "$root/DEBIAN/conffiles" ] || rm "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s|@MAINTAINER@|$maintainer|" \
  "$packaging/debian/control.in" >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

mkdir -p "$output"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >&2
printf '%s\n' "$deb"
