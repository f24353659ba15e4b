#!/usr/bin/env bash
# libtcplimbo as a library: `meson install` puts the public headers, a
# versioned shared library and a pkg-config file in place; a program built
# from them alone (examples/snapshot.c) compiles, links and runs; the
# library exports the API and hides lib's internals.
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:?}" "${SRCDIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

meson install -C "$BUILDDIR" --no-rebuild --quiet --destdir "$T/dest" \
	>"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "meson install failed"; }

inc=$(find "$T/dest" -type d -path '*/include/tcplimbo' | head -n 1)
[ -n "$inc" ] || fail "no include/tcplimbo installed"
diff <(cd "$SRCDIR/include/tcplimbo" && ls ./*.h) <(cd "$inc" && ls ./*.h) ||
	fail "installed headers differ from include/tcplimbo (add new ones to its meson.build)"
so=$(find "$T/dest" -name 'libtcplimbo.so.0' | head -n 1)
[ -n "$so" ] || fail "no libtcplimbo.so.0 installed"
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libtcplimbo.so.0 ] || fail "soname is '$soname'"
pc=$(find "$T/dest" -name tcplimbo.pc | head -n 1)
[ -n "$pc" ] || fail "no tcplimbo.pc installed"
# The library's page beside the command's.
[ -n "$(find "$T/dest" -path '*/man3/libtcplimbo.3*' | head -n 1)" ] ||
	fail "no libtcplimbo(3) installed"
[ -n "$(find "$T/dest" -path '*/man8/tcplimbo.8*' | head -n 1)" ] ||
	fail "no tcplimbo(8) installed"

# Exported: the API; hidden: util.h's helpers and the test hooks.
nm -D --defined-only "$so" | grep -q ' T tl_snapshot_take' ||
	fail "tl_snapshot_take is not exported"
if nm -D --defined-only "$so" | grep -Eq ' T (tli_|diag_|tl_snapshot_classify|tl_diff_)'; then
	fail "internal symbols are exported: $(nm -D --defined-only "$so" | grep -E ' T (tli_|diag_|tl_snapshot_classify|tl_diff_)' | head -3)"
fi

# A sanitizer build's library needs the program built the same way.
san=$(meson introspect "$BUILDDIR" --buildoptions |
	jq -r '.[] | select(.name == "b_sanitize") | .value')
flags=()
[ -n "$san" ] && [ "$san" != none ] && flags=("-fsanitize=$san")
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$T/dest"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${flags[@]}" -o "$T/snapshot" \
	"$SRCDIR/examples/snapshot.c" $(pkg-config --cflags --libs tcplimbo) ||
	fail "examples/snapshot.c does not build from the installed files"
LD_LIBRARY_PATH=$(dirname "$so") "$T/snapshot" >"$T/out" ||
	fail "the installed example failed: $(cat "$T/out")"
readelf -d "$T/snapshot" | grep -q 'NEEDED.*libtcplimbo.so.0' ||
	fail "the example does not link the shared library"
ok "installed headers, libtcplimbo.so.0 and tcplimbo.pc build a working program"

# The commands: tcplimbo, without the exporter's HTTP and TLS libraries,
# and (when built) the exporter beside it in libexec, which 'tcplimbo
# serve' runs.
main=$(find "$T/dest" -path '*/sbin/tcplimbo' | head -n 1)
[ -n "$main" ] || fail "no sbin/tcplimbo installed"
if readelf -d "$main" | grep -Eq 'NEEDED.*(microhttpd|gnutls)'; then
	fail "tcplimbo itself links the exporter's libraries"
fi
if [ -x "$BUILDDIR/tcplimbo-serve" ]; then
	helper=$(find "$T/dest" -path '*/libexec/tcplimbo/tcplimbo-serve' | head -n 1)
	[ -n "$helper" ] || fail "no libexec/tcplimbo/tcplimbo-serve installed"
	"$helper" serve --help | grep -q 'Usage: tcplimbo serve' || fail "the installed exporter does not run"
	# Not where the program looks (the destdir moved it): it says so,
	# unless an install of its own is there.
	opt() { meson introspect "$BUILDDIR" --buildoptions | jq -r --arg n "$1" '.[] | select(.name == $n) | .value'; }
	if [ ! -e "$(opt prefix)/$(opt libexecdir)/tcplimbo/tcplimbo-serve" ]; then
		"$main" serve >/dev/null 2>"$T/err"
		[ $? = 3 ] && grep -q "cannot run tcplimbo-serve" "$T/err" || { cat "$T/err"; fail "serve without its helper"; }
	fi
	ok "tcplimbo without the exporter's libraries; tcplimbo-serve in libexec"
else
	ok "tcplimbo without the exporter's libraries (no exporter in this build)"
fi
