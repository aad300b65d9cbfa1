#!/bin/sh
# Compiles the single binary dist/openshell with `deno compile` (needs access to Deno's
# download host), the gateway rootfs and sources embedded.
#
# Usage: deno task compile [--system-dir DIR] [--output FILE]
#   --system-dir DIR  the system gateway registry the binary reads when OPENSHELL_SYSTEM_GATEWAY_DIR
#                     is not set ($OPENSHELL_SYSTEM_GATEWAY_DIR; default /etc/openshell); absolute
#   --output FILE     where the binary goes (default dist/openshell)
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
system_dir=${OPENSHELL_SYSTEM_GATEWAY_DIR:-}
output=$repo/dist/openshell

usage_error() {
  printf 'error: %s\nhint: run deno task compile --help for usage\n' "$1" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --system-dir) [ $# -ge 2 ] || usage_error "option '--system-dir' needs a value"; system_dir=$2; shift 2 ;;
    --system-dir=*) system_dir=${1#*=}; shift ;;
    --output | -o) [ $# -ge 2 ] || usage_error "option '$1' needs a value"; output=$2; shift 2 ;;
    --output=*) output=${1#*=}; shift ;;
    -h | --help) sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p;}' "$0"; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
case $output in /*) ;; *) output=$PWD/$output ;; esac

cd "$repo"
set -- compile -A --include rootfs/dist --include src/server
# The setting lives in .compile/ only while deno compile embeds it: a run from source never
# reads it (the program looks there only when it is a compiled binary).
settings=.compile
if [ -n "$system_dir" ]; then
  case $system_dir in
    /*) ;;
    *) usage_error "the system gateway directory must be an absolute path: '$system_dir'" ;;
  esac
  rm -rf "$settings"
  trap 'rm -rf "$repo/$settings"' EXIT
  mkdir "$settings"
  printf '%s\n' "$system_dir" >"$settings/system-gateway-dir"
  set -- "$@" --include "$settings"
fi
mkdir -p "$(dirname "$output")"
deno "$@" -o "$output" src/main.ts
