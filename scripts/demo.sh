#!/usr/bin/env bash
# make demo: the blog post's experiment, step by step, in a private network
# namespace that lab run makes and removes itself.
#
# Usage: scripts/demo.sh [path/to/tcplimbo] [extra lab run options...]
#
# To look at the lab with another tool before it is torn down, add a
# command to DEMO_THEN below (or pass --then CMD / --hook CMD yourself).
# lab run runs it inside the lab's namespace, so it sees the lab's sockets
# without -N, with TL_LAB_SCENARIO, TL_LAB_STEP, TL_LAB_ADDR, TL_LAB_PORT,
# TL_LAB_PID (a process in the namespace: tcplimbo -N "$TL_LAB_PID" works
# from anywhere) and TL_LAB_SERVER_PID in its environment. --then-at STEP
# picks the step (default: the last one); for the seed scenario the
# interesting one is client-exited: the CLOSE_WAIT nobody can close.
set -euo pipefail

tl=${1:-build/tcplimbo}
shift || true
[ -x "$tl" ] || { echo "demo: $tl not built (run make)" >&2; exit 1; }
tl=$(cd "$(dirname "$tl")" && pwd)/$(basename "$tl")

# Commands run inside the namespace at DEMO_THEN_AT, one per entry.
DEMO_THEN=()
DEMO_THEN_AT=client-exited
# The doctor, on the namespace the lab made, while the CLOSE_WAIT is there.
DEMO_THEN+=("$tl doctor")

args=(--wait 3)
if [ "${#DEMO_THEN[@]}" -gt 0 ]; then
	args+=(--then-at "$DEMO_THEN_AT")
	for c in "${DEMO_THEN[@]}"; do
		args+=(--then "$c")
	done
fi

if [ "$(id -u)" != 0 ]; then
	echo "demo: not root: the lab runs on 127.0.0.1 in this namespace" >&2
fi
exec "$tl" lab run seed "${args[@]}" "$@"
