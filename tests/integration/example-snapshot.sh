#!/usr/bin/env bash
# examples/snapshot.c, built against the shared library, lists the
# listeners of a namespace: the same ones ss lists, with the accept queue
# ss shows and the process that holds each.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
EXAMPLE=${BUILDDIR:-build}/examples/example-snapshot
[ -x "$EXAMPLE" ] || fail "$EXAMPLE not built"

tl_listen_idle 4100
# Two clients that the server never accepts wait in its queue.
tl_py_bg '
import socket, time
a = socket.create_connection(("127.0.0.1", 4100))
b = socket.create_connection(("127.0.0.1", 4100))
time.sleep(60)'
tl_wait_for 5 sh -c '[ "$(ss -Htln "sport = :4100" | awk "{print \$2}")" = 2 ]' ||
	fail "the clients did not queue"
# An IPv6 listener too, held by a second process.
tl_py_bg '
import socket, time
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 4101)); s.listen(8)
time.sleep(60)'
V6=$!
tl_wait_for 5 tl_listening 4101 || fail "the IPv6 server did not listen"

out=$("$EXAMPLE") || fail "the example failed: $out"
echo "$out"
[ "$(echo "$out" | wc -l)" = "$(ss -Htln | wc -l)" ] ||
	fail "the example lists $(echo "$out" | wc -l) listeners, ss $(ss -Htln | wc -l)"
echo "$out" | grep -Eq "^127\.0\.0\.1:4100 queued 2 backlog 16 pid $SERVER fd [0-9]+ python3$" ||
	fail "no line for 127.0.0.1:4100 with 2 queued, held by $SERVER"
echo "$out" | grep -Eq "^\[::1\]:4101 queued 0 backlog 8 pid $V6 fd [0-9]+ python3$" ||
	fail "no line for [::1]:4101 held by $V6"
ok "the example lists what ss lists, with owners"
