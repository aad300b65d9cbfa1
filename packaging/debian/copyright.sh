#!/bin/sh
# Writes debian/copyright for the package tree $1: the program's, then the bundled Deno's and
# each bundled npm package's licence.
set -eu
root=$1
cat debian/copyright.in
if [ -d "$root/usr/lib/openshell/node_modules/.deno" ]; then
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
fi
printf '\nLicense: Expat\n'
sed 's/^$/./; s/^/ /' debian/expat.txt
