#!/bin/sh
# Installs openshell from this source tree and seeds the system gateway registry (through the
# installed program's `openshell system add` and `system select`).
#
# Usage: ./install.sh [options]
#   --prefix DIR           install under DIR (default /usr/local as root, ~/.local otherwise; $PREFIX)
#   --destdir DIR          stage everything under DIR, as packagers do ($DESTDIR)
#   --system-dir DIR       the system gateway registry, also the installed program's default
#                          (default /etc/openshell; $OPENSHELL_SYSTEM_GATEWAY_DIR); absolute
#   --gateway NAME=ENDPOINT  seed a system gateway (repeatable); the name ends at the first =;
#                          an endpoint without a scheme means https://
#   --active NAME          make NAME the system's active gateway
#   --binary FILE          install FILE as the compiled openshell binary
#   --source               install from source without trying `deno compile`
#   --uninstall            remove what an earlier run installed under the prefix
#   --dry-run              print every path that would be written (or removed), change nothing
#   -h, --help             print this help
# Flags win over the environment variables. Every argument is checked before anything is written;
# a malformed one exits 2.
set -eu

pinned_deno_version=2.9.6
repo=$(cd "$(dirname "$0")" && pwd)
newline='
'

# --- messages -------------------------------------------------------------------------------

say() { printf '%s\n' "$*" >&2; }

# die MESSAGE [HINT]: one error line (plus a hint), exit 1.
die() {
  printf 'error: %s\n' "$1" >&2
  if [ $# -gt 1 ]; then printf 'hint: %s\n' "$2" >&2; fi
  exit 1
}

# usage_error MESSAGE [HINT]: a malformed command line or argument, exit 2.
usage_error() {
  printf 'error: %s\n' "$1" >&2
  printf 'hint: %s\n' "${2:-run $0 --help for usage}" >&2
  exit 2
}

usage() { sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p;}' "$0"; }

# shown VALUE: VALUE for a message, control characters replaced by '?'.
shown() { printf '%s' "$1" | LC_ALL=C tr '\000-\037\177' '?'; }

# clipped MAX: stdin's first line, cut at a word boundary to at most MAX characters (plus "...").
clipped() {
  awk -v max="$1" 'NR == 1 {
    if (length($0) <= max) { print; exit }
    s = substr($0, 1, max + 1); sub(/[[:space:]]+[^[:space:]]*$/, "", s)
    if (s == "" || length(s) > max) s = substr($0, 1, max)
    print s "..."; exit }'
}

# summarised DIR: the paths on stdin, those under DIR/node_modules/ counted on one line.
summarised() {
  DIR=$1/node_modules/ awk 'index($0, ENVIRON["DIR"]) == 1 { n++; next } { print }
    END { if (n) printf "%s (%d files)\n", ENVIRON["DIR"], n }'
}

# --- values ---------------------------------------------------------------------------------

# Manifest lines are "f PATH" (a file or link) or "d PATH" (a directory this script created),
# PATH without the destdir, with backslash and newline escaped so any gateway name fits.
encode() { printf '%sX' "$1" | sed 's/\\/\\\\/g' | awk '{ s = (NR > 1 ? s "\\n" : "") $0 } END { sub(/X$/, "", s); print s }'; }
decode() {
  case $1 in
    *\\*) decoded=$(printf '%bX' "$1"); decoded=${decoded%X} ;;
    *) decoded=$1 ;;
  esac
}

absolute_or_die() { # absolute_or_die WHAT VALUE
  case $2 in
    /*) ;;
    *) usage_error "$1 must be an absolute path: '$(shown "$2")'" "pass a path starting with /" ;;
  esac
  case $2 in *"$newline"* | *\\* | *\'*) usage_error "$1 must not contain a newline, backslash or quote: '$(shown "$2")'" ;; esac
}

# --- arguments ------------------------------------------------------------------------------

prefix=${PREFIX:-}
destdir=${DESTDIR:-}
system_dir=${OPENSHELL_SYSTEM_GATEWAY_DIR:-}
active=
active_given=false
binary=
mode=auto
system_dir_given=false
uninstall=false
dry_run=false
work=$(mktemp -d "${TMPDIR:-/tmp}/openshell-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir "$work/gateways"
gateway_count=0

# seeded_name DIR: sets seeded and seeded_endpoint to the gateway staged in DIR (trailing
# newlines kept).
seeded_name() {
  seeded=$(cat "$1/name"; echo X); seeded=${seeded%X}
  seeded_endpoint=$(cat "$1/endpoint"; echo X); seeded_endpoint=${seeded_endpoint%X}
}

need_value() { [ "$2" -ge 2 ] || usage_error "option '$1' needs a value"; }

# text_or_die WHAT VALUE: the program reads its arguments as UTF-8, so other bytes would not
# reach it as they are (and the files it writes would not be the ones recorded here).
text_or_die() {
  if command -v iconv >/dev/null 2>&1 && ! printf '%s' "$2" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
    usage_error "$1 is not UTF-8 text: '$(shown "$2")'"
  fi
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) need_value "$1" $#; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) need_value "$1" $#; destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --system-dir) need_value "$1" $#; system_dir=$2; system_dir_given=true; shift 2 ;;
    --system-dir=*) system_dir=${1#*=}; system_dir_given=true; shift ;;
    --gateway | --gateway=*)
      if [ "$1" = --gateway ]; then need_value "$1" $#; spec=$2; shift 2; else spec=${1#*=}; shift; fi
      case $spec in *=*) ;; *) usage_error "--gateway expects NAME=ENDPOINT, got '$(shown "$spec")'" ;; esac
      gw_name=${spec%%=*}
      text_or_die "the gateway name" "$gw_name"
      # The program checks name and endpoint (and writes them) once it is chosen.
      for dir in "$work"/gateways/*; do
        [ -d "$dir" ] || continue
        seeded_name "$dir"
        if [ "$seeded" = "$gw_name" ]; then
          usage_error "gateway '$(shown "$gw_name")' is given twice"
        fi
      done
      gateway_count=$((gateway_count + 1))
      mkdir "$work/gateways/$gateway_count"
      printf '%s' "$gw_name" >"$work/gateways/$gateway_count/name"
      printf '%s' "${spec#*=}" >"$work/gateways/$gateway_count/endpoint"
      ;;
    --active) need_value "$1" $#; active=$2; active_given=true; text_or_die "the active gateway" "$active"; shift 2 ;;
    --active=*) active=${1#*=}; active_given=true; text_or_die "the active gateway" "$active"; shift ;;
    --binary) need_value "$1" $#; binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --source) mode=source; shift ;;
    --uninstall) uninstall=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown option '$(shown "$1")'" ;;
  esac
done

if [ -z "$prefix" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    prefix=/usr/local
  elif [ -n "${HOME:-}" ]; then
    prefix=$HOME/.local
  else
    die "no prefix: HOME is not set" "pass --prefix DIR"
  fi
fi
absolute_or_die "the prefix" "$prefix"
if [ -z "$system_dir" ] && [ "$system_dir_given" = false ]; then system_dir=/etc/openshell; fi
absolute_or_die "the system gateway directory" "$system_dir"
if [ -n "$destdir" ]; then
  case $destdir in /*) ;; *) destdir=$PWD/$destdir ;; esac
  case $destdir in *"$newline"* | *\\*) usage_error "the destdir must not contain a newline or backslash" ;; esac
fi
# Paths are joined as "$destdir$path", so trailing slashes are dropped.
while [ "${prefix%/}" != "$prefix" ] && [ "$prefix" != / ]; do prefix=${prefix%/}; done
while [ "${system_dir%/}" != "$system_dir" ] && [ "$system_dir" != / ]; do system_dir=${system_dir%/}; done
while [ "${destdir%/}" != "$destdir" ]; do destdir=${destdir%/}; done
[ "$prefix" != / ] || prefix=
if [ "$system_dir" = / ]; then usage_error "the system gateway directory cannot be /" "use /etc/openshell"; fi
if [ -n "$binary" ] && [ "$mode" = source ]; then usage_error "--binary and --source exclude each other"; fi
if [ -n "$binary" ]; then
  [ -f "$binary" ] || die "no such binary: '$(shown "$binary")'"
  case $binary in /*) ;; *) binary=$PWD/$binary ;; esac
  mode=binary
fi

lib=$prefix/lib/openshell
bin=$prefix/bin/openshell
manifest=$lib/install-manifest
gateways_dir=$system_dir/gateways
active_file=$system_dir/active_gateway

# --- the previous installation ----------------------------------------------------------------

# in_old_manifest TYPE PATH: whether an earlier run recorded PATH.
in_old_manifest() {
  [ -f "$work/old-manifest" ] || return 1
  line="$1 $(encode "$2")"
  grep -Fxq -e "$line" "$work/old-manifest"
}

if [ -f "$destdir$manifest" ]; then
  cp "$destdir$manifest" "$work/old-manifest"
fi

# --- uninstall ------------------------------------------------------------------------------

if [ "$uninstall" = true ]; then
  [ -f "$work/old-manifest" ] ||
    die "nothing to uninstall: no manifest at $destdir$manifest" "pass the --prefix (and --destdir) used to install"
  [ -w "$destdir$lib" ] || die "cannot write to $destdir$lib" "run as the user who installed openshell"
  # Files first, then directories deepest first; a directory that holds anything else stays.
  # Paths without a backslash need no decoding and go to rm in batches.
  DEST=$destdir awk '/^f [^\\]*$/ { print ENVIRON["DEST"] substr($0, 3) }' "$work/old-manifest" >"$work/plain"
  # Deno writes its lock files into the installed node_modules/.deno when it runs the program
  # from there (a detached serve does): they go with the directory this script made.
  if in_old_manifest d "$lib/node_modules/.deno"; then
    for lock in .deno.lock .deno.lock.poll; do
      if [ -f "$destdir$lib/node_modules/.deno/$lock" ] && [ ! -L "$destdir$lib/node_modules/.deno/$lock" ]; then
        printf '%s\n' "$destdir$lib/node_modules/.deno/$lock" >>"$work/plain"
      fi
    done
  fi
  grep '^f .*[\]' "$work/old-manifest" | while IFS= read -r line; do
    decode "${line#f }"
    if [ -e "$destdir$decoded" ] || [ -L "$destdir$decoded" ]; then
      if [ "$dry_run" = true ]; then printf '%s\n' "$destdir$decoded"; else rm -f "$destdir$decoded"; fi
    fi
  done
  if [ "$dry_run" = true ]; then
    while IFS= read -r path; do
      if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\n' "$path"; fi
    done <"$work/plain" | summarised "$destdir$lib"
  else
    tr '\n' '\0' <"$work/plain" | xargs -0 rm -f --
  fi
  if [ "$dry_run" = true ]; then
    printf '%s\n' "$destdir$manifest"
    say "dry run: nothing removed"
    exit 0
  fi
  rm -f "$destdir$manifest"
  grep '^d ' "$work/old-manifest" | LC_ALL=C sort -r | while IFS= read -r line; do
    decode "${line#d }"
    rmdir "$destdir$decoded" 2>/dev/null || true
  done
  removed=$(grep -c '^f ' "$work/old-manifest" || true)
  say "uninstalled openshell: removed $removed files listed in $destdir$manifest"
  exit 0
fi

# --- checks before anything is written -------------------------------------------------------

# writable_or_die DIR: DIR, or its nearest existing ancestor, must be a writable directory.
writable_or_die() {
  probe=$1
  while [ ! -e "$probe" ] && [ ! -L "$probe" ]; do probe=$(dirname "$probe"); done
  [ -d "$probe" ] || die "cannot install into $1: $probe is not a directory"
  [ -w "$probe" ] || die "cannot install into $1: $probe is not writable" \
    "run as a user who may write there (root for /usr/local and /etc), or pass --prefix/--destdir"
}

writable_or_die "$destdir$prefix/bin"
writable_or_die "$destdir$lib"
if [ "$gateway_count" -gt 0 ] || [ "$active_given" = true ]; then writable_or_die "$destdir$gateways_dir"; fi

if { [ -e "$destdir$bin" ] || [ -L "$destdir$bin" ]; } && ! in_old_manifest f "$bin"; then
  die "$destdir$bin exists and was not installed by this script" "remove it first"
fi
if [ -e "$destdir$lib" ] && [ ! -f "$destdir$manifest" ] && [ -n "$(ls -A "$destdir$lib")" ]; then
  die "$destdir$lib exists and was not installed by this script" "remove it first"
fi

# --- the program ----------------------------------------------------------------------------

find_deno() {
  for candidate in "${DENO:-}" "$repo/.tools/node_modules/deno/deno" "$(command -v deno 2>/dev/null || true)"; do
    if [ -z "$candidate" ] || [ ! -x "$candidate" ]; then continue; fi
    version=$("$candidate" --version 2>/dev/null | sed -n '1s/^deno \([^ ]*\).*/\1/p')
    if [ "$version" = "$pinned_deno_version" ]; then
      # `deno` on PATH may be a symlink or shim: install the real executable.
      DENO_NO_UPDATE_CHECK=1 "$candidate" eval --quiet 'console.log(Deno.execPath())' 2>/dev/null && return
    fi
  done
  return 1
}

if [ ! -f "$repo/src/main.ts" ] || [ ! -f "$repo/deno.json" ]; then die "no openshell source tree at $repo"; fi
deno=$(find_deno) || deno=
if [ "$mode" != binary ] && [ -z "$deno" ]; then
  die "deno $pinned_deno_version not found" "run $repo/scripts/setup.sh, or put deno $pinned_deno_version on PATH"
fi
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1

# program_files: relative paths (under the lib dir) of the source install, sorted.
program_files() {
  (
    cd "$repo"
    set -- src deno.json deno.lock node_modules
    if [ -d rootfs/dist ]; then set -- "$@" rootfs/dist; fi
    find "$@" -name '.deno.lock*' -prune -o \( -type f -o -type l \) -print
    echo deno
  ) | LC_ALL=C sort
}

if [ "$mode" != binary ]; then
  if [ ! -d "$repo/node_modules" ]; then
    [ "$dry_run" = false ] || die "no node_modules in $repo" "run deno install in $repo first"
    say "fetching npm dependencies into $repo/node_modules"
    (cd "$repo" && "$deno" install --quiet --frozen) >&2
  fi
  if [ ! -d "$repo/rootfs/dist" ]; then
    say "note: no rootfs/dist in $repo (build it with deno task build:rootfs); serve will lack its gateway rootfs"
  fi
  odd=$(cd "$repo" && find src node_modules \( -name "*$newline*" -o -name '*\\*' \) -print | head -n 1)
  if [ -n "$odd" ]; then die "cannot install a file name with a newline or backslash: $(shown "$odd")"; fi
fi

# --- the gateways to seed --------------------------------------------------------------------

# The registry's rules (names, endpoints, the metadata written) are the program's own: the one
# about to be installed checks every gateway here with a dry run, and once installed it writes
# them (`openshell system add`, `system select`).
seed_dir=$destdir$system_dir

# new_program ARGS...: runs the openshell about to be installed, from where it is now (before
# deno compile is tried, the same program from source: the gateways are checked before anything
# may reach the network).
new_program() {
  if [ "$mode" = binary ]; then
    XDG_CACHE_HOME=$work/cache "$binary" "$@"
  else
    DENO_DIR=$work/deno-dir "$deno" run -A --cached-only --frozen --node-modules-dir=manual --quiet \
      --config "$repo/deno.json" "$repo/src/main.ts" "$@"
  fi
}

# installed_program ARGS...: runs the installed openshell as users do (a source install through
# its launcher script, with the bundled Deno); its Deno cache is this run's.
installed_program() { XDG_CACHE_HOME=$work/cache "$destdir$bin" "$@"; }

# checked STATUS: a dry run's failure ends the install with the program's message and status.
checked() {
  case $1 in
    0) ;;
    1 | 2) exit "$1" ;;
    *) die "the program to install could not check the gateways to seed (exit status $1)" \
      "it must be an openshell that has the \`system add\` command" ;;
  esac
}

# planned KEY FILE: the action (create, unchanged or replace) a dry run's -o json report gives.
planned() { sed -n "s/^  \"$1\": \"\([a-z]*\)\",\{0,1\}\$/\1/p" "$2"; }

active_seeded=false
for dir in "$work"/gateways/*; do
  [ -d "$dir" ] || continue
  seeded_name "$dir"
  activate=
  if [ "$active_given" = true ] && [ "$seeded" = "$active" ]; then activate=true active_seeded=true; fi
  status=0
  new_program system add --system-dir "$seed_dir" --replace --dry-run -o json ${activate:+--activate} \
    -- "$seeded" "$seeded_endpoint" >"$dir/plan.json" || status=$?
  checked "$status"
  if [ -n "$activate" ]; then cp "$dir/plan.json" "$work/active-plan.json"; fi
done
if [ "$active_given" = true ] && [ "$active_seeded" = false ]; then
  status=0
  new_program system select --system-dir "$seed_dir" --dry-run -o json -- "$active" \
    >"$work/active-plan.json" 2>"$work/active-check.log" || status=$?
  # An invalid name is the program's to report; a missing registration is said here.
  if [ "$status" -ne 2 ] && [ ! -f "$destdir$gateways_dir/$active/metadata.json" ]; then
    usage_error "the active gateway '$(shown "$active")' is neither seeded nor in $destdir$gateways_dir" \
      "add --gateway '$(shown "$active")=ENDPOINT'"
  fi
  cat "$work/active-check.log" >&2
  checked "$status"
fi

# A seeded file that exists with other content is overwritten only when this script wrote it.
# One that exists with the same content but belongs to someone else is left alone (marked keep).
for dir in "$work"/gateways/*; do
  [ -d "$dir" ] || continue
  seeded_name "$dir"
  target=$gateways_dir/$seeded/metadata.json
  if [ -e "$destdir$target" ] && ! in_old_manifest f "$target"; then
    if [ "$(planned metadata_action "$dir/plan.json")" = unchanged ]; then
      touch "$dir/keep"
    else
      die "$(shown "$destdir$target") exists and was not installed by this script" \
        "remove it, or seed the gateway under another name"
    fi
  fi
done
if [ "$active_given" = true ] && [ -e "$destdir$active_file" ] && ! in_old_manifest f "$active_file" &&
  [ "$(planned active_action "$work/active-plan.json")" != unchanged ]; then
  die "$destdir$active_file exists and was not installed by this script" \
    "remove it, or run without --active"
fi

# --- compiling ------------------------------------------------------------------------------

if [ "$mode" = auto ]; then
  say "trying deno compile (needs access to Deno's download host)"
  set -- compile -A --quiet --include src/server
  if [ -d "$repo/rootfs/dist" ]; then set -- "$@" --include rootfs/dist; fi
  if (cd "$repo" && NO_COLOR=1 "$deno" "$@" -o "$work/openshell" src/main.ts) >"$work/compile.log" 2>&1; then
    binary=$work/openshell
    mode=binary
  else
    reason=$(grep -m1 'error sending request' "$work/compile.log" || grep -m1 'error' "$work/compile.log" || true)
    say "deno compile failed: $(printf '%s\n' "$reason" | sed 's/^ *[0-9]*: //' | clipped 160)"
    say "installing from source instead"
    mode=source
  fi
fi

# --- writing --------------------------------------------------------------------------------

: >"$work/new-manifest"
record() { printf '%s %s\n' "$1" "$(encode "$2")" >>"$work/new-manifest"; }

# make_dirs DIR: creates DIR and its missing parents, recording the ones it created.
make_dirs() {
  create_dirs "$1"
  # Directories created by an earlier run stay recorded.
  probe=$1
  while [ -n "$probe" ] && [ "$probe" != / ]; do
    if in_old_manifest d "$probe"; then record d "$probe"; fi
    probe=$(dirname "$probe")
  done
}

create_dirs() {
  if [ -z "$1" ] || [ "$1" = / ] || [ -d "$destdir$1" ]; then return; fi
  create_dirs "$(dirname "$1")"
  if [ "$dry_run" = false ]; then mkdir -m 0755 "$destdir$1"; fi
  record d "$1"
}

# put_file SOURCE TARGET MODE: atomically installs SOURCE at TARGET unless it is already there.
put_file() {
  if [ "$dry_run" = true ]; then
    printf '%s\n' "$destdir$2"
  elif ! cmp -s "$1" "$destdir$2" || [ "$(stat -c %a "$destdir$2")" != "$3" ]; then
    tmp=$(dirname "$destdir$2")/.openshell-install.$$
    cp "$1" "$tmp"
    chmod "$3" "$tmp"
    mv -f "$tmp" "$destdir$2"
  fi
  record f "$2"
}

# retire_old_program: moves the previous program tree out of the lib dir and deletes it.
retire_old_program() {
  old=$destdir$lib/.old.$$
  mkdir "$old"
  for entry in "$destdir$lib"/* "$destdir$lib"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    case $entry in "$destdir$manifest" | "$old") continue ;; esac
    mv "$entry" "$old/"
  done
  rm -rf "$old"
}

umask 022
if [ -n "$destdir" ] && [ "$dry_run" = false ]; then mkdir -p "$destdir"; fi
make_dirs "$prefix/bin"
make_dirs "$lib"

if [ "$mode" = binary ]; then
  if [ "$dry_run" = false ]; then retire_old_program; fi
  put_file "$binary" "$bin" 755
  how="the compiled binary"
else
  # The program tree is staged beside the old one, checked to start offline, then swapped in.
  if [ "$dry_run" = false ]; then
    staged=$destdir$lib.new.$$
    rm -rf "$staged"
    mkdir -m 0755 "$staged"
    (
      cd "$repo"
      # Deno's own lock files in node_modules come and go while other deno processes run.
      tar -cf - --exclude='.deno.lock*' src deno.json deno.lock node_modules | tar -C "$staged" -xf -
      if [ -d rootfs/dist ]; then mkdir "$staged/rootfs" && cp -RP rootfs/dist "$staged/rootfs/"; fi
    )
    cp "$deno" "$staged/deno"
    chmod -R u+rwX,go+rX,go-w "$staged"
    chmod 0755 "$staged/deno"
    version=$(DENO_DIR=$work/deno-dir "$staged/deno" run -A --cached-only --frozen --node-modules-dir=manual --quiet \
      --config "$staged/deno.json" "$staged/src/main.ts" --version 2>"$work/check.log") ||
      { rm -rf "$staged"; die "the installed program does not start: $(head -c 300 "$work/check.log")"; }
    version=${version#openshell } # the version line is `openshell <version>`
    retire_old_program
    for entry in "$staged"/* "$staged"/.[!.]*; do
      [ -e "$entry" ] || [ -L "$entry" ] || continue
      mv "$entry" "$destdir$lib/"
    done
    rmdir "$staged"
  fi
  # The lib and destdir paths hold no backslash or newline, so they need no encoding.
  program_files >"$work/program"
  LIB=$lib awk '{ n = split($0, part, "/"); p = ENVIRON["LIB"]
    for (i = 1; i < n; i++) { p = p "/" part[i]; print "d " p } }' "$work/program" |
    LC_ALL=C sort -u >>"$work/new-manifest"
  LIB=$lib awk '{ print "f " ENVIRON["LIB"] "/" $0 }' "$work/program" >>"$work/new-manifest"
  if [ "$dry_run" = true ]; then
    LIB=$destdir$lib awk '{ print ENVIRON["LIB"] "/" $0 }' "$work/program" | summarised "$destdir$lib"
  fi
  cat >"$work/wrapper" <<EOF
#!/bin/sh
# openshell, installed from source: the bundled Deno runs the program offline from
# ../lib/openshell beside this script (normally $lib), never touching the network.
lib=\$(readlink -f "\$0" 2>/dev/null || printf '%s' "\$0")
lib=\${lib%/bin/*}/lib/openshell
[ -x "\$lib/deno" ] || lib='$lib'
# Deno's compile cache goes with the user's other caches (a relative XDG_CACHE_HOME is ignored).
case \${XDG_CACHE_HOME:-} in
  /*) cache=\$XDG_CACHE_HOME ;;
  *) cache=\${HOME:+\$HOME/.cache} ;;
esac
if [ -n "\$cache" ]; then
  DENO_DIR=\$cache/openshell/deno
  export DENO_DIR
fi
DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
export DENO_NO_UPDATE_CHECK DENO_NO_PROMPT
exec "\$lib/deno" run -A --cached-only --frozen --node-modules-dir=manual --quiet \\
  --config "\$lib/deno.json" "\$lib/src/main.ts" "\$@"
EOF
  put_file "$work/wrapper" "$bin" 755
  how="from source (deno $pinned_deno_version, ${version:-not run: dry run})"
fi

# The system registry becomes the installed program's default (the variable still wins); one
# inside the prefix is recorded relative to it, so a prefix moved as a whole takes it along.
case $system_dir in
  "$prefix"/?*) [ -z "$prefix" ] || system_dir_setting=${system_dir#"$prefix"/} ;;
esac
printf '%s\n' "${system_dir_setting:-$system_dir}" >"$work/system-gateway-dir"
put_file "$work/system-gateway-dir" "$lib/system-gateway-dir" 644

for dir in "$work"/gateways/*; do
  [ -d "$dir" ] || continue
  seeded_name "$dir"
  [ ! -f "$dir/keep" ] || continue
  target=$gateways_dir/$seeded/metadata.json
  make_dirs "$gateways_dir/$seeded"
  if [ "$dry_run" = true ]; then
    printf '%s\n' "$destdir$target"
  else
    replace=
    if in_old_manifest f "$target"; then replace=true; fi
    installed_program system add --system-dir "$seed_dir" ${replace:+--replace} -o json \
      -- "$seeded" "$seeded_endpoint" >/dev/null ||
      die "the installed openshell could not seed the gateway '$(shown "$seeded")'"
  fi
  record f "$target"
done
if [ "$active_given" = true ] && { ! [ -e "$destdir$active_file" ] || in_old_manifest f "$active_file"; }; then
  make_dirs "$system_dir"
  if [ "$dry_run" = true ]; then
    printf '%s\n' "$destdir$active_file"
  else
    installed_program system select --system-dir "$seed_dir" -o json -- "$active" >/dev/null ||
      die "the installed openshell could not make '$(shown "$active")' the system's active gateway"
  fi
  record f "$active_file"
fi

# Seeded files from earlier runs that still exist stay recorded, so --uninstall removes them.
if [ -f "$work/old-manifest" ]; then
  LIB=$lib BIN=$bin awk 'index($0, "f " ENVIRON["LIB"] "/") != 1 && $0 != "f " ENVIRON["BIN"] && /^f /' \
    "$work/old-manifest" | while IFS= read -r line; do
    decode "${line#f }"
    if [ -e "$destdir$decoded" ]; then printf '%s\n' "$line" >>"$work/new-manifest"; fi
  done
  LIB=$lib awk 'index($0, "d " ENVIRON["LIB"] "/") != 1 && /^d /' "$work/old-manifest" |
    while IFS= read -r line; do
    decode "${line#d }"
    if [ -d "$destdir$decoded" ]; then printf '%s\n' "$line" >>"$work/new-manifest"; fi
  done
fi

if [ "$dry_run" = true ]; then
  printf '%s\n' "$destdir$manifest"
  say "dry run: would install openshell $how into $destdir$prefix; nothing written"
  exit 0
fi
LC_ALL=C sort -u "$work/new-manifest" >"$work/manifest"
put_file "$work/manifest" "$manifest" 644
say "installed openshell $how: $destdir$bin"
say "system gateway registry: $destdir$system_dir"
if [ "$gateway_count" -gt 0 ]; then say "seeded $gateway_count system gateway(s) in $destdir$gateways_dir"; fi
if [ "$active_given" = true ]; then say "system active gateway: $(shown "$active")"; fi
# A program users cannot find is not installed for them.
if [ -z "$destdir" ]; then
  case :${PATH:-}: in
    *:"$prefix/bin":* | *:"$prefix/bin/":*) ;;
    *) say "warning: $prefix/bin is not on your PATH; add it, for example: export PATH=\"$prefix/bin:\$PATH\" in ~/.profile" ;;
  esac
fi
