#!/usr/bin/env bash
# The man page keeps step with the options: every long option that a
# command's --help lists must appear in docs/tcplimbo.8, and every command.
. "$(dirname "$0")/lib.sh"
MAN=${SRCDIR:-.}/docs/tcplimbo.8
[ -f "$MAN" ] || fail "no $MAN"
missing=
check() { # option text, where it came from
	grep -qF -- "$(printf '%s' "$1" | sed 's/-/\\-/g')" "$MAN" || missing="$missing $1($2)"
}
verbs=$("$TCPLIMBO" --help | awk '/^Commands:/{c=1;next} c && !NF{exit} c{print $1}')
[ -n "$verbs" ] || fail "no commands in --help"
for opt in $("$TCPLIMBO" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
	check "$opt" global
done
for v in $verbs; do
	grep -qE "^\.SS $v( |$)" "$MAN" || missing="$missing $v(command)"
	for opt in $("$TCPLIMBO" "$v" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		check "$opt" "$v"
	done
done
[ -z "$missing" ] || fail "the man page lacks:$missing"
ok "man page names every command and option ($(echo $verbs))"
