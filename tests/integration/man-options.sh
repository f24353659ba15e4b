#!/usr/bin/env bash
# The man page keeps step with the options: every long option that a
# command's --help lists must appear in docs/tcplimbo.8, and every command;
# lab server's and lab client's options also in lab --help.
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
# lab's server and client have a --help of their own.
for sub in server client; do
	for opt in $("$TCPLIMBO" lab $sub --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		check "$opt" "lab $sub"
	done
	"$TCPLIMBO" lab --help | grep -q -- "lab $sub" || missing="$missing lab-$sub(lab --help)"
	for opt in $("$TCPLIMBO" lab $sub --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		[ "$opt" = --help ] && continue
		"$TCPLIMBO" lab --help | grep -qF -- "$opt" || missing="$missing $opt(lab --help, lab $sub)"
	done
done
[ -z "$missing" ] || fail "the man page lacks:$missing"
ok "man page names every command and option ($(echo $verbs))"
