#!/usr/bin/env bash
# The doctor on real servers (Debian's nginx, haproxy, lighttpd, apache2
# and prometheus, each skipped when not installed): nginx with master and
# worker SIGSTOPped must be "stopped"; haproxy at its frontend maxconn
# (alive, holding exactly its limit, its listener no longer polled) must
# be at a "connection-limit" with the count, and told to raise the limit
# rather than accept faster; lighttpd at server.max-connections (its
# listener left in the epoll set with no events asked for) the same; so
# must Apache's prefork at MaxRequestWorkers (each child polling the
# client it holds), and its TCP_DEFER_ACCEPT drops are no overflow;
# prometheus, a Go program, at --web.max-connections (its listener
# edge-triggered in epoll as every socket of Go's runtime) must be told
# about its accept loop, not about EPOLLET; socat's fork at max-children
# (its children hold the connections) is at a limit, not a dead loop;
# memcached at the fd limit its -c sets is told so, not as a leak.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
NG= STOPPED=
# A stopped nginx ignores SIGTERM: whatever happens, kill it for good (and
# any other process left stopped).
trap '[ -n "$NG" ] && kill -KILL $NG $(pgrep -P $NG) 2>/dev/null; [ -n "$STOPPED" ] && kill -KILL $STOPPED 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
HAPROXY=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null)
PROMETHEUS=$(command -v prometheus)
LIGHTTPD=$(command -v lighttpd || ls /usr/sbin/lighttpd 2>/dev/null)
APACHE=$(command -v apache2 || ls /usr/sbin/apache2 2>/dev/null)
SOCAT=$(command -v socat)
TINYPROXY=$(command -v tinyproxy || ls /usr/sbin/tinyproxy 2>/dev/null)
MEMCACHED=$(command -v memcached)
[ -n "$NGINX$HAPROXY$PROMETHEUS$LIGHTTPD$APACHE$SOCAT$TINYPROXY$MEMCACHED" ] ||
	skip "none of nginx, haproxy, lighttpd, apache2, prometheus, socat, tinyproxy and memcached is installed"
tested=0

# Holds N connections to PORT open for at most 60 s.
hold() {
	python3 -c '
import socket, sys, time
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
print("held", flush=True)
time.sleep(60)' "$1" "$2" >"$T/hold.$1" &
	tl_wait_for 10 grep -q held "$T/hold.$1" || fail "clients of port $1 did not connect"
}

queued() { # PORT N NAME: wait until N connections stay in PORT's queue
	tl_wait_for 10 sh -c "[ \"\$(ss -Htln 'sport = :$1' | awk '{print \$2}')\" = $2 ]" ||
		{ ss -tanp; fail "$3: $2 connections did not stay queued"; }
}

doctor() { # PORT OUT: the doctor's findings on PORT
	"$TCPLIMBO" doctor --json --queue-age 0 >"$T/$2.json"
	jq -e --argjson p "$1" '[.findings[] | select(.local_port == $p)] | length > 0' \
		"$T/$2.json" >/dev/null || { cat "$T/$2.json"; fail "$2: no finding on port $1"; }
}

if [ -n "$NGINX" ]; then
	mkdir -p "$T/nginx/logs"
	cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx;
	proxy_temp_path $T/nginx;
	server { listen 127.0.0.1:8081 backlog=16; return 200 "ok\n"; }
}
CONF
	"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" &
	NG=$!
	tl_wait_for 10 tl_listening 8081 || { cat "$T/nginx/error.log"; fail "nginx did not listen"; }
	# Master and workers, stopped like an operator's kill -STOP would.
	kill -STOP $NG $(pgrep -P $NG)
	hold 8081 3
	doctor 8081 nginx
	jq -e --argjson m $NG '[.findings[] | select(.local_port == 8081)][0] |
		.kind == "not-accepting" and .cause == "stopped" and .certainty == "certain" and
		all(.evidence[]; .state == "T" and .tracer == 0) and
		any(.evidence[]; .pid == $m) and (.remedy | contains("kill -CONT"))' \
		"$T/nginx.json" >/dev/null || { cat "$T/nginx.json"; fail "nginx: not 'stopped'"; }
	kill -CONT $NG $(pgrep -P $NG)
	ok "nginx SIGSTOPped: stopped (certain), kill -CONT"
	tested=$((tested + 1))
fi

if [ -n "$HAPROXY" ]; then
	# The backend: accepts and holds whatever haproxy forwards.
	python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8083)); s.listen(64); s.settimeout(1)
held, end = [], time.time() + 60
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass' &
	tl_wait_for 10 tl_listening 8083 || fail "backend did not listen"
	cat >"$T/haproxy.cfg" <<CONF
global
	maxconn 100
defaults
	mode tcp
	timeout connect 2s
	timeout client 60s
	timeout server 60s
frontend f
	bind 127.0.0.1:8082
	maxconn 10
	default_backend b
backend b
	server s1 127.0.0.1:8083
CONF
	"$HAPROXY" -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
	tl_wait_for 10 tl_listening 8082 || { cat "$T/haproxy.log"; fail "haproxy did not listen"; }
	hold 8082 12
	# haproxy accepts up to maxconn, then stops polling the listener.
	queued 8082 2 haproxy
	doctor 8082 haproxy
	jq -e '[.findings[] | select(.local_port == 8082)][0] |
		.cause == "connection-limit" and .certainty == "likely" and
		.evidence[0].held == 10 and .evidence[0].epoll == [] and
		(.remedy | contains("maxconn")) and (.remedy | contains("accept faster") | not)' \
		"$T/haproxy.json" >/dev/null || { cat "$T/haproxy.json"; fail "haproxy: not at a connection limit"; }
	ok "haproxy at maxconn 10: connection-limit (likely), 10 held"
	tested=$((tested + 1))
fi
if [ -n "$LIGHTTPD" ]; then
	mkdir -p "$T/lighttpd"
	cat >"$T/lighttpd.conf" <<CONF
server.document-root = "$T/lighttpd"
server.bind = "127.0.0.1"
server.port = 8085
server.max-connections = 4
server.listen-backlog = 8
server.errorlog = "$T/lighttpd.log"
CONF
	"$LIGHTTPD" -D -f "$T/lighttpd.conf" &
	tl_wait_for 10 tl_listening 8085 || { cat "$T/lighttpd.log"; fail "lighttpd did not listen"; }
	hold 8085 7
	# lighttpd accepts 4, then asks epoll for no events on its listener.
	queued 8085 3 lighttpd
	doctor 8085 lighttpd
	jq -e '[.findings[] | select(.local_port == 8085)][0] |
		.cause == "connection-limit" and .evidence[0].held == 4 and
		.evidence[0].epoll[0].events == "18" and
		(.evidence[0].text | contains("asks it for no events")) and
		(.evidence[0].text | contains("so the program is told") | not)' \
		"$T/lighttpd.json" >/dev/null || { cat "$T/lighttpd.json"; fail "lighttpd: not at a connection limit"; }
	ok "lighttpd at server.max-connections 4: connection-limit, 4 held, listener asks for no events"
	# Two workers: one stopped (its listener still registered for
	# EPOLLIN), the other fills up to its limit with the stopped one's
	# share. The stop leads, with kill -CONT: resuming it drains the
	# queue; the other's limit is a cause beside it.
	sed -e 's/^server.port = 8085/server.port = 8089/' \
		-e 's/^server.errorlog = .*/server.errorlog = "'"${T//\//\\/}"'\/lighttpd2.log"/' \
		"$T/lighttpd.conf" >"$T/lighttpd2.conf"
	echo 'server.max-worker = 2' >>"$T/lighttpd2.conf"
	# Its own session: a master of workers passes SIGTERM on to its
	# whole process group, which would be this script's.
	setsid "$LIGHTTPD" -D -f "$T/lighttpd2.conf" &
	LT=$!
	tl_wait_for 10 sh -c "[ \$(pgrep -P $LT | wc -l) = 2 ]" || { cat "$T/lighttpd2.log"; fail "lighttpd: not 2 workers"; }
	tl_wait_for 10 tl_listening 8089 || fail "lighttpd with 2 workers did not listen"
	read -r A B <<<"$(pgrep -P $LT | sort -n | tr '\n' ' ')"
	kill -STOP "$A"
	STOPPED=$A
	hold 8089 8
	queued 8089 4 lighttpd-workers
	doctor 8089 lighttpd2
	kill -CONT "$A"
	jq -e --argjson a "$A" --argjson b "$B" '[.findings[] | select(.local_port == 8089)][0] |
		.cause == "stopped" and .certainty == "certain" and
		(.remedy | contains("kill -CONT \($a)")) and
		any(.evidence[]; .pid == $b and .cause == "connection-limit" and .held == 4)' \
		"$T/lighttpd2.json" >/dev/null || { cat "$T/lighttpd2.json"; fail "lighttpd, worker $A stopped: its stop does not lead"; }
	queued 8089 0 lighttpd-resumed
	ok "lighttpd, worker $A stopped and worker $B at its limit: stopped leads (kill -CONT drains the queue)"
	# server.max-fds = 16 under server.max-connections = 8 (lighttpd
	# keeps it at half its fds): out of fds, accept() fails and the loop
	# spins, or at its connection limit first, it pauses the listener
	# (events 0x18), whichever comes first. The evidence must say which
	# its registration shows; the setting named is lighttpd's own
	# max-fds; the cause, its low limit or its connections.
	sed -e 's/^server.port = 8085/server.port = 8095/' \
		-e 's/^server.max-connections = 4/server.max-connections = 8/' \
		-e 's/^server.errorlog = .*/server.errorlog = "'"${T//\//\\/}"'\/lighttpd3.log"/' \
		"$T/lighttpd.conf" >"$T/lighttpd3.conf"
	echo 'server.max-fds = 16' >>"$T/lighttpd3.conf"
	"$LIGHTTPD" -D -f "$T/lighttpd3.conf" &
	tl_wait_for 10 tl_listening 8095 || { cat "$T/lighttpd3.log"; fail "lighttpd with max-fds 16 did not listen"; }
	hold 8095 12
	tl_wait_for 10 sh -c "[ \"\$(ss -Htln 'sport = :8095' | awk '{print \$2}')\" -ge 4 ]" ||
		{ ss -tanp; fail "lighttpd-fds: nothing stayed queued"; }
	doctor 8095 lighttpd3
	jq -e '[.findings[] | select(.kind == "fd-exhaustion" and .local_port == 8095)][0] |
		(.cause == "low-fd-limit" or .cause == "connections") and
		(.setting | contains("server.max-fds")) and
		(.evidence[0].text as $t | if .evidence[0].epoll[0].events == "18"
			then ($t | contains("paused accepting on purpose")) and ($t | contains("busy loop") | not)
			else ($t | contains("paused accepting on purpose") | not) end)' \
		"$T/lighttpd3.json" >/dev/null || { cat "$T/lighttpd3.json"; fail "lighttpd at server.max-fds 16: not told as its fd limit"; }
	ok "lighttpd at server.max-fds 16: fd-exhaustion, its own setting named, paused or spinning as its registration shows"
	tested=$((tested + 1))
fi

if [ -n "$APACHE" ] && [ -e /usr/lib/apache2/modules/mod_mpm_prefork.so ]; then
	mkdir -p "$T/apache/htdocs"
	echo ok >"$T/apache/htdocs/index.html"
	chmod 755 "$T" "$T/apache" "$T/apache/htdocs"
	cat >"$T/apache/httpd.conf" <<CONF
ServerRoot $T/apache
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
ServerName localhost
Listen 127.0.0.1:8086
ListenBacklog 8
PidFile $T/apache/httpd.pid
ErrorLog $T/apache/error.log
Mutex file:$T/apache
User www-data
Group www-data
DocumentRoot $T/apache/htdocs
StartServers 4
MinSpareServers 4
MaxSpareServers 4
ServerLimit 4
MaxRequestWorkers 4
Timeout 60
CONF
	"$APACHE" -f "$T/apache/httpd.conf" -k start || fail "apache2 did not start"
	trap '"$APACHE" -f "$T/apache/httpd.conf" -k stop; [ -n "$NG" ] && kill -KILL $NG $(pgrep -P $NG) 2>/dev/null; [ -n "$STOPPED" ] && kill -KILL $STOPPED 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT
	tl_wait_for 10 tl_listening 8086 || { cat "$T/apache/error.log"; fail "apache2 did not listen"; }
	# The master writes its pid once it has daemonized.
	tl_wait_for 10 test -s "$T/apache/httpd.pid" || fail "apache2 wrote no pid file"
	AP=$(cat "$T/apache/httpd.pid")
	# Apache's default AcceptFilter sets TCP_DEFER_ACCEPT: each request's
	# data-less handshake ACK counts as a drop of the listener.
	for _ in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:8086/ || fail "apache2 did not answer"; done
	drops=$(ss -Htlnm "sport = :8086" | sed -n 's/.*,d\([0-9]*\)).*/\1/p')
	[ "${drops:-0}" -ge 1 ] || { ss -tlnm; fail "apache2: its listener counted no TCP_DEFER_ACCEPT drop"; }
	"$TCPLIMBO" doctor --json >"$T/apache-idle.json"
	jq -e '[.findings[] | select(.local_port == 8086)] == []' "$T/apache-idle.json" >/dev/null ||
		{ cat "$T/apache-idle.json"; fail "apache2 after 3 requests ($drops drops): a finding"; }
	ok "apache2 after 3 requests, its listener with $drops TCP_DEFER_ACCEPT drops: no finding"
	# Four clients that never finish their request hold the four
	# children; four more wait in the queue.
	python3 -c '
import socket, time
cs = [socket.create_connection(("127.0.0.1", 8086)) for _ in range(4)]
for c in cs: c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.5)
more = [socket.create_connection(("127.0.0.1", 8086)) for _ in range(4)]
for c in more: c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
print("held", flush=True)
time.sleep(60)' >"$T/hold.8086" &
	tl_wait_for 10 grep -q held "$T/hold.8086" || fail "apache2 clients did not connect"
	queued 8086 4 apache2
	doctor 8086 apache
	jq -e --argjson m "$AP" '[.findings[] | select(.local_port == 8086)][0] |
		.kind == "not-accepting" and (.pids | index($m)) and
		.cause == "connection-limit" and .certainty == "possible" and
		([.evidence[] | select(.pid != $m) | .held] == [1, 1, 1]) and
		.evidence_omitted == 1 and
		all(.evidence[] | select(.pid != $m); .text | contains("its threads are in poll")) and
		(.remedy | contains("MaxRequestWorkers"))' \
		"$T/apache.json" >/dev/null || { cat "$T/apache.json"; fail "apache2 prefork: not at a connection limit"; }
	# The children say the same and are named once; the master, which
	# never accepts (pselect6), is a bystander.
	"$TCPLIMBO" doctor --queue-age 0 >"$T/apache.txt"
	tr -s ' \n' ' ' <"$T/apache.txt" | grep -q "likewise pids [0-9]*, [0-9]* (1 more process of this finding not looked into)" &&
		! grep -q pselect6 "$T/apache.txt" ||
		{ cat "$T/apache.txt"; fail "apache2 prefork: the children not named once, or the master's pselect6 shown"; }
	ok "apache2 prefork at MaxRequestWorkers 4: connection-limit (possible: its children poll), 1 held by each child, 1 not looked into"
	# The master stopped too (it never accepts): its children's cause
	# still explains the queue; the master is named as stopped beside it.
	kill -STOP "$AP"
	doctor 8086 apache-stopped
	kill -CONT "$AP"
	jq -e --argjson m "$AP" '[.findings[] | select(.local_port == 8086)][0] |
		.cause == "connection-limit" and
		any(.evidence[]; .pid == $m and .cause == "stopped")' \
		"$T/apache-stopped.json" >/dev/null || { cat "$T/apache-stopped.json"; fail "apache2 prefork, master stopped: the master's stop leads"; }
	ok "apache2 prefork with its master stopped: the children's connection-limit leads"
	tested=$((tested + 1))
fi

if [ -n "$PROMETHEUS" ]; then
	printf 'global:\n  scrape_interval: 1h\n' >"$T/prometheus.yml"
	# Go's netutil.LimitListener: two connections at once, then its
	# accept loop waits for one of them to close.
	"$PROMETHEUS" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address=127.0.0.1:8084 --web.max-connections=2 \
		>"$T/prometheus.log" 2>&1 &
	PROM=$!
	tl_wait_for 30 tl_listening 8084 || { cat "$T/prometheus.log"; fail "prometheus did not listen"; }
	hold 8084 5
	queued 8084 3 prometheus
	doctor 8084 prometheus
	jq -e --argjson p $PROM '[.findings[] | select(.local_port == 8084)][0] |
		.kind == "not-accepting" and .pids == [$p] and
		.cause == "go-accept-loop" and .certainty == "likely" and
		.evidence[0].runtime == "go" and .evidence[0].held == 2 and
		.evidence[0].epoll[0].edge_triggered and
		(.evidence[0].text | contains("Go program")) and
		(.remedy | contains("goroutine")) and (.remedy | contains("level-triggered") | not)' \
		"$T/prometheus.json" >/dev/null || { cat "$T/prometheus.json"; fail "prometheus: not its Go accept loop"; }
	ok "prometheus at --web.max-connections 2: go-accept-loop (likely), 2 held"
	tested=$((tested + 1))
fi
if [ -n "$SOCAT" ]; then
	# A child per connection, at most 2: then the parent sleeps until
	# one ends, holding the listener, while its children hold the
	# connections. Not an accept loop that died: its limit.
	"$SOCAT" TCP-LISTEN:8087,bind=127.0.0.1,fork,max-children=2,reuseaddr \
		SYSTEM:'cat >/dev/null' &
	SO=$!
	tl_wait_for 10 tl_listening 8087 || fail "socat did not listen"
	hold 8087 4
	queued 8087 2 socat
	doctor 8087 socat
	jq -e --argjson p $SO '[.findings[] | select(.local_port == 8087)][0] |
		.kind == "not-accepting" and .pids == [$p] and
		.cause == "connection-limit" and .certainty == "possible" and
		.evidence[0].held == 0 and .evidence[0].children_held == 2 and
		(.summary | contains("children it forks for each connection")) and
		(.remedy | contains("socat max-children"))' \
		"$T/socat.json" >/dev/null || { cat "$T/socat.json"; fail "socat: not at its limit of children"; }
	ok "socat fork at max-children 2: connection-limit (possible), 2 held by its children"
	tested=$((tested + 1))
fi
if [ -n "$TINYPROXY" ]; then
	# At MaxClients 3 with 5 idle clients: a limit the general remedy
	# does not name, so the doctor names tinyproxy's own setting.
	cat >"$T/tinyproxy.conf" <<CONF
User nobody
Group nogroup
Port 8088
Listen 127.0.0.1
Timeout 600
MaxClients 3
LogLevel Critical
PidFile "$T/tinyproxy.pid"
CONF
	"$TINYPROXY" -d -c "$T/tinyproxy.conf" >"$T/tinyproxy.log" 2>&1 &
	TP=$!
	tl_wait_for 10 tl_listening 8088 || { cat "$T/tinyproxy.log"; fail "tinyproxy did not listen"; }
	hold 8088 5
	queued 8088 2 tinyproxy
	doctor 8088 tinyproxy
	jq -e '[.findings[] | select(.local_port == 8088)][0] |
		.kind == "not-accepting" and .cause == "connection-limit" and
		.setting == "tinyproxy: MaxClients, and Timeout for idle clients" and
		(.remedy | contains("the setting given with the finding")) and
		(.remedy | contains("haproxy maxconn") | not)' \
		"$T/tinyproxy.json" >/dev/null || { cat "$T/tinyproxy.json"; fail "tinyproxy: not at MaxClients, or other servers' settings in its fix"; }
	"$TCPLIMBO" doctor --queue-age 0 >"$T/tinyproxy.txt"
	grep -q "setting: tinyproxy: MaxClients, and Timeout for idle clients" "$T/tinyproxy.txt" ||
		{ cat "$T/tinyproxy.txt"; fail "tinyproxy: the text names no setting"; }
	ok "tinyproxy at MaxClients 3: connection-limit, its own setting named"
	kill "$TP" 2>/dev/null
	# At MaxClients 2 with both slots waiting on an upstream that never
	# answers (a listener that accepts nothing): its main loop sleeps
	# until a slot frees, its slot threads wait on the upstream, and the
	# doctor names the upstream rather than a dead accept loop.
	python3 "$(dirname "$0")/doctor-servers.py" no-accept --port 8094 --seconds 60 >/dev/null &
	UPS=$!
	tl_wait_for 5 tl_listening 8094 || fail "tinyproxy's upstream did not listen"
	sed -e 's/^Port 8088/Port 8093/' -e 's/^MaxClients 3/MaxClients 2/' \
		-e "s|tinyproxy.pid|tinyproxy2.pid|" "$T/tinyproxy.conf" >"$T/tinyproxy2.conf"
	"$TINYPROXY" -d -c "$T/tinyproxy2.conf" >"$T/tinyproxy2.log" 2>&1 &
	TP=$!
	tl_wait_for 10 tl_listening 8093 || { cat "$T/tinyproxy2.log"; fail "tinyproxy did not listen on 8093"; }
	python3 -c '
import socket, time
cs = []
for _ in range(4):
    c = socket.create_connection(("127.0.0.1", 8093))
    c.sendall(b"GET http://127.0.0.1:8094/ HTTP/1.0\r\n\r\n")
    cs.append(c)
    time.sleep(0.2)
time.sleep(60)' &
	TPC=$!
	queued 8093 2 tinyproxy-upstream
	tl_wait_for 10 sh -c "[ \"\$(ss -Htn state established 'dport = :8094' | wc -l)\" = 2 ]" ||
		{ ss -tanp; fail "tinyproxy: its 2 slots did not ask the upstream"; }
	sleep 1.2
	doctor 8093 tinyproxy2
	jq -e '[.findings[] | select(.local_port == 8093)][0] |
		.kind == "not-accepting" and .cause == "blocked-elsewhere" and
		(.evidence[0].text | contains("(a TCP connection to 127.0.0.1:8094, established)")) and
		.setting == "tinyproxy: MaxClients, and Timeout for idle clients"' \
		"$T/tinyproxy2.json" >/dev/null || { cat "$T/tinyproxy2.json"; fail "tinyproxy on a stuck upstream: not told"; }
	ok "tinyproxy at MaxClients 2 on an upstream that never answers: blocked-elsewhere, the upstream and its setting named"
	kill "$TP" "$TPC" "$UPS" 2>/dev/null
	tested=$((tested + 1))
fi
if [ -n "$MEMCACHED" ]; then
	# memcached -c N sets its own fd limit to N, the number of
	# connections, and opens some 23 fds of its own (with its default 4
	# threads; the number depends on the version, so it is counted
	# first). At -c equal to that number, no fd is left for a client:
	# accept() fails with EMFILE, and memcached stops watching its
	# listener and calls listen(fd, 0). The clients that got in wait in
	# the queue; later handshakes are dropped. The limit set this low is
	# the cause, told as such, and not a leak of the pipes every
	# memcached has. It is started with no fd beyond 0 to 2, so that the
	# count is its own (in the background: it execs).
	mc() {
		exec python3 -c 'import os, sys; os.closerange(3, os.sysconf("SC_OPEN_MAX")); os.execv(sys.argv[1], sys.argv[1:])' \
			"$MEMCACHED" -u root -l 127.0.0.1 -p 8090 "$@" </dev/null >"$T/memcached.log" 2>&1
	}
	mc &
	MC=$!
	tl_wait_for 10 tl_listening 8090 || { cat "$T/memcached.log"; fail "memcached did not listen"; }
	MCN=$(ls /proc/$MC/fd | wc -l)
	kill $MC
	tl_wait_for 10 sh -c "! kill -0 $MC" || fail "memcached did not exit"
	mc -c "$MCN" &
	tl_wait_for 10 tl_listening 8090 || { cat "$T/memcached.log"; fail "memcached -c $MCN did not listen"; }
	# Connects with a timeout: once memcached shrinks its backlog, later
	# handshakes may not complete, and that is not what is tested.
	python3 -c '
import socket, time
cs = []
for _ in range(10):
    c = socket.socket(); c.settimeout(1)
    if c.connect_ex(("127.0.0.1", 8090)) == 0: cs.append(c)
print("held", len(cs), flush=True)
time.sleep(60)' >"$T/hold.8090" &
	tl_wait_for 20 grep -q held "$T/hold.8090" || fail "clients of memcached did not connect"
	tl_wait_for 10 sh -c "[ \"\$(ss -Htln 'sport = :8090' | awk '{print \$2}')\" -gt 0 ]" ||
		{ ss -tanp; fail "memcached: no connection stayed queued"; }
	doctor 8090 memcached
	jq -e --argjson n "$MCN" '[.findings[] | select(.local_port == 8090)][0] |
		.kind == "fd-exhaustion" and .limit == $n and .evidence[0].fds.limit == $n and
		.cause == "low-fd-limit" and .certainty == "likely" and
		(.value as $v | .summary | contains(if $v > $n then "has \($v) fds open, more than its limit of \($n)"
			else "has \($v) of \($n) fds open" end)) and
		(.summary | contains("its backlog is 0 (listen() with 0")) and
		(.remedy | contains("the program itself (the setting given with the finding")) and
		.setting == "memcached: -c (maximum connections) sets its fd limit too"' \
		"$T/memcached.json" >/dev/null || { cat "$T/memcached.json"; fail "memcached: not told as its low fd limit"; }
	"$TCPLIMBO" doctor --queue-age 0 >"$T/memcached.txt"
	grep -q "below Linux's default of 1024, so something set it lower" "$T/memcached.txt" &&
		grep -q "setting: memcached: -c (maximum connections) sets its fd limit too" "$T/memcached.txt" &&
		! grep -q "so look there for a leak" "$T/memcached.txt" ||
		{ cat "$T/memcached.txt"; fail "memcached: the text"; }
	ok "memcached -c $MCN at its own fd limit: low-fd-limit (likely), not a leak"
	tested=$((tested + 1))
fi
[ "$tested" -gt 0 ] || skip "no server could be tested"
