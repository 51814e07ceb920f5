#!/usr/bin/env bash
# docs/api.md shows the example modules of tests/modules/ in full: each
# listing after a "<!-- file: PATH -->" line must be that file as it is.
# Run by scripts/check; exits non-zero on the first listing that differs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
doc=$top/docs/api.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
n=0
for path in $(sed -n 's/^<!-- file: \(.*\) -->$/\1/p' "$doc"); do
    # The fenced block right after the marker, without its fences.
    awk -v m="<!-- file: $path -->" '
        $0 == m { want = 1; next }
        want && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }' "$doc" >"$tmp"
    if ! diff -u "$top/$path" "$tmp"; then
        echo "docs/api.md's listing of $path differs from the file (above: file, listing)"
        exit 1
    fi
    n=$((n + 1))
done
[ "$n" -ge 2 ] || { echo "docs/api.md lists $n example files, want 2"; exit 1; }
echo "docs/api.md: $n listings match their files"
