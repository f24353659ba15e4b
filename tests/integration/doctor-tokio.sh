#!/usr/bin/env bash
# The doctor on a Tokio server (Rust), built offline from Debian's crates
# (cargo, librust-tokio-dev): at its own connection limit (a semaphore
# permit taken before accept()), with connections queued behind it. Tokio
# registers the listener edge-triggered, as every socket, and its accept()
# takes connections until WouldBlock, so the registration is not the cause:
# the doctor must name the runtime and its accept loop, with 2 connections
# held, and not advise level-triggered epoll. Once the clients close, the
# server drains its queue by itself and nothing is found.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
REG=/usr/share/cargo/registry
command -v cargo >/dev/null || skip "cargo not installed (Debian: cargo)"
ls -d "$REG"/tokio-1.* "$REG"/tokio-macros-* >/dev/null 2>&1 ||
	skip "Tokio's crates not installed (Debian: librust-tokio-dev librust-tokio-macros-dev)"

# Debian's crates only: no network. The build is kept beside tcplimbo's.
cp -r "${SRCDIR:-.}/tests/integration/tokio-server" "$T/src"
mkdir -p "$T/src/.cargo"
cat >"$T/src/.cargo/config.toml" <<CONF
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "$REG"
[net]
offline = true
CONF
TARGET=${BUILDDIR:-$(dirname "$TCPLIMBO")}/tokio-server
(cd "$T/src" && CARGO_TARGET_DIR=$TARGET timeout 600 cargo build --release -q) \
	>"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "the Tokio server did not build"; }
SERVER_BIN=$TARGET/release/tl-tokio-server

"$SERVER_BIN" 8090 2 60 &
SRV=$!
tl_wait_for 10 tl_listening 8090 || fail "the Tokio server did not listen"
# Five clients, each sending a byte, held for at most 60 s: two get a
# permit, three stay queued.
python3 -c '
import socket, time
cs = [socket.create_connection(("127.0.0.1", 8090)) for _ in range(5)]
for c in cs: c.send(b"x")
print("held", flush=True)
time.sleep(60)' >"$T/hold" 2>&1 &
CLIENTS=$!
tl_wait_for 10 grep -q held "$T/hold" || { cat "$T/hold"; fail "the clients did not connect"; }
tl_wait_for 10 sh -c '[ "$(ss -Htln "sport = :8090" | awk "{print \$2}")" = 3 ]' ||
	{ ss -tanp; fail "3 connections did not stay queued"; }

"$TCPLIMBO" doctor --json --queue-age 0 >"$T/doctor.json"
rc=$?
[ "$rc" = 1 ] || { cat "$T/doctor.json"; fail "doctor exited $rc, not 1 (a warning: no client has closed)"; }
jq -e --argjson p $SRV '[.findings[] | select(.local_port == 8090)][0] |
	.kind == "not-accepting" and .pids == [$p] and .count == 3 and
	.cause == "tokio-accept-loop" and .certainty == "likely" and
	.evidence[0].runtime == "tokio" and .evidence[0].held == 2 and
	.evidence[0].epoll[0].edge_triggered and
	(.evidence[0].text | contains("runs on Tokio")) and
	(.remedy | contains("Semaphore")) and
	(.remedy | contains("level-triggered") | not)' \
	"$T/doctor.json" >/dev/null || { cat "$T/doctor.json"; fail "not Tokio's accept loop"; }
ok "Tokio at a limit of 2 connections: tokio-accept-loop (likely), 2 held, 3 queued"

# The clients go; the server reads their EOFs, gives the permits back and
# accepts (and closes) the queued ones itself.
kill $CLIENTS
wait $CLIENTS 2>/dev/null
tl_wait_for 10 sh -c '[ "$(ss -Htln "sport = :8090" | awk "{print \$2}")" = 0 ]' ||
	{ ss -tanp; fail "the Tokio server did not drain its queue"; }
"$TCPLIMBO" doctor --queue-age 0 >"$T/after.txt" ||
	{ cat "$T/after.txt"; fail "a finding once the server drained its queue"; }
ok "once the clients closed: queue drained, no finding"
