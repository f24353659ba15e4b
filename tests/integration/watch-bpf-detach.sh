#!/usr/bin/env bash
# watch's eBPF program goes away with it: stopped by SIGTERM, by SIGINT,
# by --seconds, or killed outright, no program or link of its own is left
# in the kernel. Its programs are those it holds an fd of, by id (ids
# are never reused while the machine runs).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

command -v bpftool >/dev/null || skip "no bpftool to check with"
tl_require_bpf_watch "$T/probe"

prog_ids() { # ids of loaded programs named like ours
	bpftool -j prog show | python3 -c '
import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin)
               if p.get("name", "").startswith("tl_state")))'
}
link_progs() { # program ids that have a link
	bpftool -j link show | python3 -c '
import json, sys
print(" ".join(str(l.get("prog_id")) for l in json.load(sys.stdin)))'
}
has() { [[ " $1 " == *" $2 "* ]]; }

# One run: start watch, find its program and link, stop it with $1, check
# that both are gone.
run() {
	local how=$1 before ours="" id i
	before=$(prog_ids)
	: >"$T/err"
	if [ "$how" = seconds ]; then
		# Long enough to outlast the look at its links below, which
		# takes seconds on a loaded machine (bpftool, python).
		"$TCPLIMBO" watch --backend bpf --seconds 8 >/dev/null 2>"$T/err" &
	else
		"$TCPLIMBO" watch --backend bpf >/dev/null 2>"$T/err" &
	fi
	local pid=$!
	tl_wait_for 10 grep -q "backend bpf" "$T/err" || fail "$how: watch did not start: $(cat "$T/err")"
	# Ours: the programs watch holds an fd of (its fdinfo says which);
	# another test's watch may be loading one of its own meanwhile.
	for id in $(grep -h '^prog_id:' /proc/"$pid"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u); do
		has "$(prog_ids)" "$id" && ! has "$before" "$id" && ours="$ours $id"
	done
	[ -n "$ours" ] || fail "$how: no program of ours is loaded"
	for id in $ours; do
		has "$(link_progs)" "$id" || fail "$how: program $id has no link"
	done
	case "$how" in
	TERM | INT | KILL) kill -"$how" "$pid" ;;
	esac
	# Bounded: --seconds 8 ends by itself, a signal at once.
	for i in $(seq 120); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "$how: watch still running"
	wait "$pid"
	local rc=$?
	case "$how" in
	KILL) [ "$rc" = 137 ] || fail "KILL: exit $rc" ;;
	*)
		[ "$rc" = 0 ] || fail "$how: exit $rc: $(cat "$T/err")"
		grep -q "transitions reported" "$T/err" || fail "$how: no summary"
		;;
	esac
	# The kernel frees a program after its last reference; give it a moment.
	for i in $(seq 20); do
		local left="" lp
		lp="$(prog_ids) $(link_progs)"
		for id in $ours; do has "$lp" "$id" && left="$left $id"; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || fail "$how: programs/links still there after exit:$left"
	ok "$how: program(s)$ours attached while running, gone after"
}
run TERM
run INT
run seconds
run KILL
