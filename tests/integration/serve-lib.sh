# Helpers for serve's tests; source after lib.sh.

# Starts tcplimbo serve with the given options in the background; sets
# SERVE to its pid and waits (bounded) until it answers on URL.
# serve_start URL [OPTIONS...]
serve_start() {
	local url=$1
	shift
	"$TCPLIMBO" serve "$@" 2>>"$T/serve.log" &
	SERVE=$!
	tl_wait_for 10 curl -sfk -o /dev/null -m 2 "$url" ||
		{ cat "$T/serve.log"; fail "serve did not answer on $url"; }
}

# The value of one sample (exact series text before the space) in FILE.
serve_value() { awk -v s="$1" 'index($0, s " ") == 1 { print $2 }' "$2"; }

# This namespace's netns label as serve prints it: "host" when it is pid
# 1's namespace, or, when pid 1's cannot be read, when it is the kernel's
# initial namespace (the only one with net.core.netdev_max_backlog); else
# net:[INODE].
serve_own_label() {
	local own host
	own=$(stat -L -c %i /proc/self/ns/net)
	if ! host=$(stat -L -c %i /proc/1/ns/net 2>/dev/null); then
		host=none
		[ -e /proc/sys/net/core/netdev_max_backlog ] && host=$own
	fi
	if [ "$own" = "$host" ]; then echo host; else echo "net:[$own]"; fi
}

# A client that connects to 127.0.0.1:PORT, then closes: its connection
# stays in the never-accepting server's queue, closed by the client.
serve_closed_client() {
	python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(b"ping")
c.close()' "$1"
}
