#!/usr/bin/env bash
# Every public header compiles on its own, as C11 and, where a C++
# compiler is found, as C++ (their extern "C" blocks promise C++ users
# they can include them: a field named like a C++ keyword broke that).
# Usage: check-headers.sh SRCDIR
set -u
src=${1:?usage: check-headers.sh SRCDIR}
cc=${CC:-cc}
cxx=${CXX:-c++}
command -v "$cxx" >/dev/null || cxx=
fails=0 n=0
for h in "$src"/include/tcplimbo/*.h; do
	name=tcplimbo/$(basename "$h")
	n=$((n + 1))
	printf '#include <%s>\n' "$name" |
		"$cc" -std=gnu11 -Wall -Wextra -Werror -pedantic -fsyntax-only \
			-I "$src/include" -x c - ||
		{ echo "FAIL: $name alone, as C"; fails=$((fails + 1)); }
	[ -n "$cxx" ] || continue
	printf '#include <%s>\n' "$name" |
		"$cxx" -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
			-I "$src/include" -x c++ - ||
		{ echo "FAIL: $name alone, as C++"; fails=$((fails + 1)); }
done
[ "$n" -gt 0 ] || { echo "FAIL: no header in $src/include/tcplimbo"; exit 1; }
# docs/libtcplimbo.3 is the map: every header is on it, and every
# function it names is one the headers declare.
man=$src/docs/libtcplimbo.3
for h in "$src"/include/tcplimbo/*.h; do
	grep -q "$(basename "$h")" "$man" ||
		{ echo "FAIL: $(basename "$h") is not in docs/libtcplimbo.3"; fails=$((fails + 1)); }
done
for f in $(grep -o 'tl_[a-z0-9_]*' "$man" | grep -v '_$' | sort -u); do
	grep -qE "\b$f\(|struct $f \{" "$src"/include/tcplimbo/*.h ||
		{ echo "FAIL: docs/libtcplimbo.3 names $f, which no header declares"; fails=$((fails + 1)); }
done
[ -n "$cxx" ] || echo "no C++ compiler: $n headers checked as C only"
[ "$fails" = 0 ] && echo "ok: $n public headers compile alone${cxx:+, as C and as C++}"
[ "$fails" = 0 ]
