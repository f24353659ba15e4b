#!/usr/bin/env bash
# Every global the static library defines is tl_ (the API) or tli_ (lib's
# own, shared between its files): a program linked with libtcplimbo.a may
# have its own diag_add or owners_sort. The shared library's version
# script hides those anyway; the archive has none.
# Usage: check-symbols.sh LIBTCPLIMBO.a
set -u
lib=${1:?usage: check-symbols.sh LIBTCPLIMBO.a}
command -v nm >/dev/null || { echo "nm not found (Debian: binutils)"; exit 77; }
all=$(nm -g --defined-only "$lib") || { echo "FAIL: nm $lib"; exit 1; }
defined=$(awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' <<<"$all")
[ -n "$defined" ] || { echo "FAIL: no symbol defined in $lib"; exit 1; }
bad=$(grep -v -e '^tl_' -e '^tli_' <<<"$defined" | sort -u)
if [ -n "$bad" ]; then
	echo "FAIL: globals without the tl_ or tli_ prefix in $lib:"
	echo "$bad"
	exit 1
fi
echo "ok: $(wc -l <<<"$defined") globals, each tl_ or tli_"
