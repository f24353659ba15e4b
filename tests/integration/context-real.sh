#!/usr/bin/env bash
# Where a socket lives, for real: never-accepting servers placed in cgroups
# this test makes in the machine's cgroup2 hierarchy, one named like a
# systemd service (tcplimbo-test-PID.slice/web-test.service) and one like a
# Docker scope (docker-<64 hex>.scope, with Docker's config.v2.json under a
# test root), must be named so by ls, doctor, watch and serve; ss --cgroup is the
# oracle for the path. Each server joins its cgroup before anything else
# (a socket takes the cgroup of the process that creates it).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$MNT" ] || skip "no cgroup2 hierarchy mounted"
command -v jq >/dev/null || skip "jq not found"
T=$(mktemp -d)
ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
[ ${#ID} = 64 ] || fail "cannot make a container id"
SLICE="$MNT/tcplimbo-test-$$.slice"
UNIT="$SLICE/web-test.service"
SCOPE="$MNT/docker-$ID.scope"
# A container whose only process is in a network namespace of its own.
ID3=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
SCOPE3="$MNT/docker-$ID3.scope"
# Docker's cgroupfs driver with --cgroup-parent: PARENT/<id>, no "docker".
ID4=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
PARENT="$MNT/tl-parent-$$"
CGP="$PARENT/$ID4"
# A cgroup that is no unit or container: its path, no context.
PLAIN="$MNT/tcplimbo-plain-$$"
# A unit whose name holds an escape sequence, shown escaped.
ODD="$SLICE/odd"$'\e'"[1m.service"
# A Kubernetes pod's container (systemd driver, containerd).
ID2=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
POD="$SLICE/kubepods-besteffort-pod0a1b2c3d_4e5f_6071_8293_a4b5c6d7e8f9.slice"
CTR="$POD/cri-containerd-$ID2.scope"
# A service handed a listener made elsewhere (socket activation).
ACT="$SLICE/act-test.service"
mkdir -p "$UNIT" "$ODD" "$SCOPE" "$SCOPE3" "$CGP" "$PLAIN" "$CTR" "$ACT" 2>/dev/null || {
	rmdir "$CTR" "$POD" "$ACT" "$UNIT" "$ODD" "$SLICE" "$SCOPE" "$SCOPE3" "$CGP" "$PARENT" "$PLAIN" 2>/dev/null
	rm -rf "$T"
	skip "cannot create cgroups under $MNT"
}
cleanup() {
	local f i
	for f in "$T"/pid.*; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	tl_cleanup_jobs
	# A cgroup can be removed once its processes are gone: wait for them.
	for i in $(seq 50); do
		# The deep cgroups first, deepest first.
		find "$SLICE" -mindepth 1 -depth -type d -name 'd*' -exec rmdir {} + 2>/dev/null
		rmdir "$SLICE/both.service" 2>/dev/null
		rmdir "$CTR" "$POD" "$ACT" "$UNIT" "$ODD" "$SLICE" "$SCOPE" "$SCOPE3" "$CGP" "$PARENT" "$PLAIN" 2>/dev/null
		[ -d "$UNIT" ] || [ -d "$ODD" ] || [ -d "$SCOPE" ] || [ -d "$SCOPE3" ] || [ -d "$CGP" ] || [ -d "$SLICE/both.service" ] || [ -d "$PLAIN" ] || [ -d "$CTR" ] || break
		sleep 0.1
	done
	rm -rf "$T"
}
trap cleanup EXIT

# The test root: the real /proc and /sys, a fake /var/lib/docker.
ln -s /proc "$T/proc"
ln -s /sys "$T/sys"
mkdir -p "$T/var/lib/docker/containers/$ID"
printf '{"ID":"%s","Config":{"Hostname":"%s","Labels":{"Name":"decoy"}},"Name":"/web-1","Driver":"overlay2"}\n' \
	"$ID" "${ID:0:12}" >"$T/var/lib/docker/containers/$ID/config.v2.json"
mkdir -p "$T/var/lib/docker/containers/$ID3"
printf '{"ID":"%s","Name":"/web-3","Driver":"overlay2"}\n' "$ID3" \
	>"$T/var/lib/docker/containers/$ID3/config.v2.json"
mkdir -p "$T/var/lib/docker/containers/$ID4"
printf '{"ID":"%s","Name":"/web-4","Driver":"overlay2"}\n' "$ID4" \
	>"$T/var/lib/docker/containers/$ID4/config.v2.json"
B="$T/run/containerd/io.containerd.runtime.v2.task/k8s.io/$ID2"
mkdir -p "$B"
printf '{"annotations":{"io.kubernetes.cri.container-name":"nginx","io.kubernetes.cri.sandbox-name":"web-7d4b9c","io.kubernetes.cri.sandbox-namespace":"shop"}}\n' >"$B/config.json"
export TCPLIMBO_ROOT=$T

# A server in a cgroup: joins it, then listens on PORT, queues one
# connection of its own and never accepts. With "netns", it first enters a
# network namespace of its own (after joining: a socket's cgroup is its
# creator's, whatever the namespace).
serve_in() { # cgroup port [netns]
	local cg=$1 port=$2 ns=${3:-}
	bash -c '
echo $$ >"$1/cgroup.procs" || exit 1
echo $$ >"$4/pid.srv.$2"
[ -n "$3" ] && exec unshare -n bash -c "ip link set lo up && exec \"\$0\" \"\$@\"" python3 -c "$5" "$2"
exec python3 -c "$5" "$2"' - "$cg" "$port" "$ns" "$T" '
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket()
s.bind(("127.0.0.1", port))
s.listen(8)
c = socket.create_connection(("127.0.0.1", port))
open("'"$T"'/ready.%d" % port, "w").close()
time.sleep(60)' &
}
serve_in "$UNIT" 4100
serve_in "$SCOPE" 4101
serve_in "$SCOPE" 4102 netns
# A unit 41 levels down (nested containers add levels): still named.
DEEP=$SLICE
for i in $(seq 40); do DEEP=$DEEP/d$i; done
DEEP=$DEEP/deep.service
mkdir -p "$DEEP" || fail "cannot make a cgroup 41 levels deep"
serve_in "$DEEP" 4103
serve_in "$PLAIN" 4104
serve_in "$ODD" 4105
serve_in "$CTR" 4106
serve_in "$ODD" 4107 netns
serve_in "$SCOPE3" 4108 netns
serve_in "$CGP" 4109
for p in 4100 4101 4102 4103 4104 4105 4106 4107 4108 4109; do
	tl_wait_for 10 test -e "$T/ready.$p" || fail "server on $p did not start"
done
P0=$(cat "$T/pid.srv.4100")
P1=$(cat "$T/pid.srv.4101")
P2=$(cat "$T/pid.srv.4102")
P4=$(cat "$T/pid.srv.4104")
REL_UNIT=${UNIT#"$MNT"}
REL_SCOPE=${SCOPE#"$MNT"}

# ss is the oracle for the cgroup path of the listener.
ss -Htln --cgroup 'sport = :4100' | grep -qF "cgroup:$REL_UNIT" ||
	{ ss -Htln --cgroup 'sport = :4100'; fail "ss does not see the unit's cgroup"; }

# ls --json: the listener and its fd-less queued child carry the context.
"$TCPLIMBO" ls --json --sport 4100 >"$T/u.json" || fail "ls --json"
jq -e --arg p "$REL_UNIT" '
	length == 2 and all(.[]; .cgroup == $p and
		.context.kind == "systemd-unit" and
		.context.name == "web-test.service") and
	any(.[]; .limbo == "accept-queue" and .inode == 0)' "$T/u.json" >/dev/null ||
	{ cat "$T/u.json"; fail "ls --json: unit context"; }
ok "ls --json: listener and queued child in web-test.service"
"$TCPLIMBO" ls --json --sport 4101 >"$T/d.json" || fail "ls --json"
jq -e --arg p "$REL_SCOPE" --arg id "$ID" '
	length == 2 and all(.[]; .cgroup == $p and
		.context.kind == "docker" and .context.id == $id and
		.context.name == "web-1")' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "ls --json: docker context"; }
ok "ls --json: docker container web-1 (name from config.v2.json)"
"$TCPLIMBO" ls --json --state listen --sport 4109 >"$T/cgp.json"
jq -e --arg id "$ID4" 'length == 1 and .[0].context.kind == "docker" and
	.[0].context.name == "web-4" and .[0].context.id == $id' "$T/cgp.json" >/dev/null ||
	{ cat "$T/cgp.json"; fail "ls --json: a docker container under --cgroup-parent"; }
ok "ls --json: docker container web-4 under a cgroup parent of its own"
"$TCPLIMBO" ls --json --sport 4103 --state listen >"$T/deep.json" || fail "ls --json"
jq -e '.[0].context.kind == "systemd-unit" and .[0].context.name == "deep.service"' \
	"$T/deep.json" >/dev/null || { cat "$T/deep.json"; fail "ls --json: a unit 41 levels deep"; }
ok "ls --json: a unit 41 levels deep is named"

# --root DIR is TCPLIMBO_ROOT as an option, before or after the verb.
for args in "--root $T ls" "ls --root $T"; do
	env -u TCPLIMBO_ROOT "$TCPLIMBO" $args --json --sport 4101 >"$T/r.json" ||
		fail "tcplimbo $args: exit $?"
	jq -e 'length == 2 and all(.[]; .context.name == "web-1")' "$T/r.json" >/dev/null ||
		{ cat "$T/r.json"; fail "tcplimbo $args: the container is not web-1"; }
done
ok "--root DIR before and after the verb: container web-1"

# The table's column, and the filters.
"$TCPLIMBO" ls --context --state listen >"$T/t.txt" || fail "ls --context"
grep -E "127\.0\.0\.1:4100 .* web-test\.service +$P0/python3" "$T/t.txt" >/dev/null &&
	grep -E "127\.0\.0\.1:4101 .* docker:web-1 +$P1/python3" "$T/t.txt" >/dev/null ||
	{ cat "$T/t.txt"; fail "ls --context column"; }
ok "ls --context column"
n=$("$TCPLIMBO" ls --json --unit web-test 2>"$T/u.err" | jq '[.[] | select(.local_port == 4100 or .remote_port == 4100)] | length')
! grep -q "note: --unit" "$T/u.err" || { cat "$T/u.err"; fail "--unit web-test: a note that no such unit runs"; }
m=$("$TCPLIMBO" ls --json --unit web-test | jq 'length')
[ "$n" = 3 ] && [ "$m" = 3 ] || fail "--unit web-test: $n of $m sockets on port 4100, want 3 of 3"
for c in web-1 "${ID:0:12}"; do
	"$TCPLIMBO" ls --json --container "$c" --state listen >"$T/c.json"
	jq -e '[.[].local_port] | sort == [4101]' "$T/c.json" >/dev/null ||
		{ cat "$T/c.json"; fail "--container $c"; }
done
ok "--unit and --container (by name and by id prefix)"
[ "$("$TCPLIMBO" ls --json --unit no-such-unit 2>"$T/n.err" | jq length)" = 0 ] ||
	fail "--unit no-such-unit matched something"
grep -qx "tcplimbo: note: --unit no-such-unit: no unit of that name runs here (no cgroup is named so), so it matches nothing" "$T/n.err" ||
	{ cat "$T/n.err"; fail "--unit no-such-unit: no note that no such unit runs"; }
ok "--unit of a unit that does not run: a note says so"
# A container in a network namespace of its own: none of its sockets
# here, and a note names its namespace and the -N that shows them.
P8=$(cat "$T/pid.srv.4108")
N8=$(stat -Lc %i "/proc/$P8/ns/net")
[ "$("$TCPLIMBO" ls --json --container web-3 2>"$T/w3.err" | jq length)" = 0 ] ||
	fail "--container web-3 matched a socket here"
grep -qxF "tcplimbo: note: --container web-3 runs in another network namespace, net:[$N8]: tcplimbo -N $P8 ls shows its sockets" "$T/w3.err" ||
	{ cat "$T/w3.err"; fail "--container web-3: no note of its namespace"; }
"$TCPLIMBO" -N "$P8" ls --json --container web-3 >"$T/w3n.json" 2>"$T/w3n.err"
jq -e 'length == 3 and [.[] | select(.state == "listen") | .local_port] == [4108]' "$T/w3n.json" >/dev/null ||
	{ cat "$T/w3n.json" "$T/w3n.err"; fail "-N $P8 ls --container web-3: not its sockets"; }
! grep -q "note:" "$T/w3n.err" || { cat "$T/w3n.err"; fail "-N $P8 ls --container web-3: a note"; }
"$TCPLIMBO" ls --json --container web-1 2>"$T/w1.err" >/dev/null
! grep -q "note:" "$T/w1.err" || { cat "$T/w1.err"; fail "--container web-1 (sockets here): a note"; }
# A name no container bears: said to match nothing, not an empty list.
[ "$("$TCPLIMBO" ls --json --container tl-nosuch 2>"$T/ns.err" | jq length)" = 0 ] ||
	fail "--container tl-nosuch matched a socket"
grep -qxF "tcplimbo: note: --container tl-nosuch: no container here was found by that name, id or pod name, so it matches nothing" "$T/ns.err" ||
	{ cat "$T/ns.err"; fail "--container tl-nosuch: not told it matches nothing"; }
ok "--container of a container in another namespace: a note with its -N; of none, that it matches nothing"
# A unit with a process elsewhere (the first) and one here, whose sockets
# here other filters leave out: no note that it runs elsewhere.
BOTH="$SLICE/both.service"
mkdir "$BOTH" || fail "cannot make $BOTH"
bash -c 'echo $$ >"$1/cgroup.procs" && exec unshare -n sleep 60' - "$BOTH" &
tl_wait_for 5 grep -q . "$BOTH/cgroup.procs" || fail "no process in both.service"
serve_in "$BOTH" 4110
tl_wait_for 10 test -e "$T/ready.4110" || fail "server on 4110 did not start"
"$TCPLIMBO" ls --json --unit both --state fin-wait-1 2>"$T/wf.err" >/dev/null
! grep -q "note:" "$T/wf.err" || { cat "$T/wf.err"; fail "--unit both --state fin-wait-1: a note"; }
ok "a unit with a process here: no note when other filters empty the list"
# A name is taken as the output shows it, escapes and all, or as it is.
"$TCPLIMBO" ls -C --state listen --sport 4105 | grep -qF 'odd\x1b[1m.service' ||
	fail "ls -C does not show the odd unit escaped: $("$TCPLIMBO" ls -C --sport 4105 | od -c | head)"
for u in 'odd\x1b[1m' 'odd\x1b[1m.service' "odd"$'\e'"[1m"; do
	[ "$("$TCPLIMBO" ls --json --state listen --unit "$u" 2>"$T/e.err" | jq '[.[] | .local_port] | join(",")' 2>/dev/null)" = '"4105"' ] ||
		fail "--unit $(printf %q "$u"): not the listener on 4105"
	! grep -q "note: --unit" "$T/e.err" || { cat "$T/e.err"; fail "--unit $(printf %q "$u"): a note that no such unit runs"; }
done
ok "--unit takes a name with an escape as shown, and as it is"

# Socket activation: the listener is made in one cgroup (systemd's, in
# init.scope) and held by a service in another. ls shows where it was
# made (as ss --cgroup does); --unit finds it by its holder's unit too.
sh -c 'echo $$ >"$1/cgroup.procs" && exec python3 -c "
import os, socket, sys, time
l = socket.socket()
l.bind((\"127.0.0.1\", 4107))
l.listen(8)
c = socket.create_connection((\"127.0.0.1\", 4107))
open(sys.argv[1] + \"/cgroup.procs\", \"w\").write(str(os.getpid()))
open(sys.argv[2], \"w\").close()
time.sleep(60)
" "$2" "$3"' - "$PLAIN" "$ACT" "$T/act.ready" &
echo $! >"$T/pid.act"
tl_wait_for 10 test -e "$T/act.ready" || fail "the activated server did not start"
[ "$("$TCPLIMBO" ls --json --sport 4107 --unit act-test | jq length)" = 2 ] ||
	{ "$TCPLIMBO" ls -C --sport 4107; fail "--unit act-test: not the listener and its queued connection, made in another cgroup"; }
[ "$("$TCPLIMBO" ls --json --sport 4107 --state listen | jq -r '.[0].cgroup')" = "${PLAIN#"$MNT"}" ] ||
	fail "ls --json: the listener's own cgroup is not where it was made"
ok "--unit finds a listener by its holder's unit, made in another cgroup"

# doctor: findings say where the process lives.
sleep 1.2
"$TCPLIMBO" doctor --queue-age 1s >"$T/doc.txt"
grep -qF "== pid $P0 (python3) in unit web-test.service:" "$T/doc.txt" &&
	grep -qF "== pid $P1 (python3) in container web-1 (docker ${ID:0:12}):" "$T/doc.txt" ||
	{ cat "$T/doc.txt"; fail "doctor text"; }
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/doc.json"
jq -e --argjson p "$P1" --arg id "$ID" '
	[.findings[] | select(.pids == [$p])] as $m | ($m | length) == 1 and
	$m[0].kind == "not-accepting" and $m[0].context.name == "web-1" and
	$m[0].context.id == $id and $m[0].listener.context.kind == "docker"' \
	"$T/doc.json" >/dev/null || { cat "$T/doc.json"; fail "doctor --json"; }
# Neither a unit nor a container: the cgroup's path all the same.
jq -e --argjson p "$P4" --arg c "${PLAIN#"$MNT"}" '
	[.findings[] | select(.pids == [$p])][0] |
	.cgroup == $c and .context == null' "$T/doc.json" >/dev/null ||
	{ jq --argjson p "$P4" '.findings[] | select(.pids == [$p])' "$T/doc.json"; fail "doctor --json: no cgroup for a plain cgroup"; }
ok "doctor names the unit and the container, and a plain cgroup's path"

# doctor --all-netns: the namespace only the container's server lives in
# is named by the container.
"$TCPLIMBO" doctor --all-netns --queue-age 1s --json >"$T/all.json"
jq -e --argjson p "$P2" --arg c "container web-1 (docker ${ID:0:12})" '
	[.findings[] | select(.pids == [$p])] as $m | ($m | length) == 1 and
	($m[0].netns | endswith("(pid \($p), \($c))"))' \
	"$T/all.json" >/dev/null || { cat "$T/all.json"; fail "--all-netns label"; }
ok "--all-netns names the container's namespace"
# A unit's name with an escape in it: escaped once, where it is written.
P7=$(cat "$T/pid.srv.4107")
jq -e --argjson p "$P7" --arg c "unit odd"$'\e'"[1m.service" '
	[.findings[] | select(.pids == [$p])][0].netns | endswith("(pid \($p), \($c))")' \
	"$T/all.json" >/dev/null || { jq --argjson p "$P7" '.findings[] | select(.pids == [$p]) | .netns' "$T/all.json"; fail "--all-netns --json: the odd unit's name in the label is not as it is"; }
"$TCPLIMBO" doctor --all-netns --queue-age 1s >"$T/all.txt"
grep -qF "(pid $P7, unit odd\x1b[1m.service))" "$T/all.txt" ||
	{ grep -F "pid $P7," "$T/all.txt"; fail "--all-netns: the odd unit's name in the label is not escaped once"; }
ok "--all-netns: a unit's name in the label is escaped once, as it is in JSON"

# watch: a new connection to each server is shown with its context.
"$TCPLIMBO" watch --backend poll --interval 50 --seconds 60 --json \
	--container web-1 >"$T/w.json" 2>"$T/w.err" &
W1=$!
"$TCPLIMBO" watch --backend poll --interval 50 --seconds 60 \
	--sport 4100 >"$T/w.txt" 2>"$T/w2.err" &
W2=$!
# Each says its backend once it watches (after its first snapshot).
tl_wait_for 20 grep -q backend "$T/w.err" || fail "watch --json did not start"
tl_wait_for 20 grep -q backend "$T/w2.err" || fail "watch did not start"
python3 -c '
import socket, time
a = socket.create_connection(("127.0.0.1", 4100))
b = socket.create_connection(("127.0.0.1", 4101))
time.sleep(0.5)' || fail "clients"
tl_wait_for 10 grep -q web-1 "$T/w.json"
tl_wait_for 10 grep -q web-test "$T/w.txt"
kill -INT $W1 $W2
wait $W1 || { cat "$T/w.err"; fail "watch --json exit"; }
wait $W2 || { cat "$T/w2.err"; fail "watch exit"; }
jq -se --arg id "$ID" 'length >= 1 and
	all(.[]; .local_port == 4101 and .context.name == "web-1" and
		.context.id == $id)' "$T/w.json" >/dev/null ||
	{ cat "$T/w.json"; fail "watch --json --container"; }
grep -qF "in unit web-test.service" "$T/w.txt" ||
	{ cat "$T/w.txt"; fail "watch text"; }
ok "watch names the container and the unit"

# watch --top: the rows say where, and --unit counts the snapshot's sockets
# (the resolver's snapshots carry the cgroup map). Its first owners pass
# may take a second or more on a loaded machine: 4 s leave room for it.
"$TCPLIMBO" watch --top --unit web-test --seconds 4 --interval 500 \
	>"$T/top.txt" 2>"$T/top.err" || { cat "$T/top.err"; fail "watch --top exit"; }
grep -E "^$P0/python3 \[web-test\.service\] +1 " "$T/top.txt" >/dev/null ||
	{ cat "$T/top.txt"; fail "watch --top --unit row"; }
! grep -q "^$P1/" "$T/top.txt" || { cat "$T/top.txt"; fail "watch --top --unit let the container in"; }
ok "watch --top names the unit and filters by it"

# serve: per-listener and per-process series carry unit and container labels.
command -v curl >/dev/null || skip "curl not found (the rest passed)"
"$TCPLIMBO" serve --listen 127.0.0.1:4190 -N /proc/self/ns/net >"$T/serve.log" 2>&1 &
tl_wait_for 10 curl -sf -o "$T/m.txt" http://127.0.0.1:4190/metrics ||
	{ cat "$T/serve.log"; fail "serve did not answer"; }
grep -E '^tcplimbo_listen_queue_length\{.*listener="127\.0\.0\.1:4100".*unit="web-test\.service".*\} [0-9]+$' "$T/m.txt" >/dev/null ||
	{ grep listen_queue_length "$T/m.txt"; cat "$T/serve.log"; fail "serve: the unit label"; }
grep -E '^tcplimbo_listen_queue_length\{.*listener="127\.0\.0\.1:4101".*container="web-1".*\} [0-9]+$' "$T/m.txt" >/dev/null ||
	{ grep listen_queue_length "$T/m.txt"; cat "$T/serve.log"; fail "serve: the container label"; }
grep -E '^tcplimbo_listen_queue_length\{.*listener="127\.0\.0\.1:4106".*container="nginx",pod="web-7d4b9c",namespace="shop"\} [0-9]+$' "$T/m.txt" >/dev/null ||
	{ grep listen_queue_length "$T/m.txt"; fail "serve: a pod's container without its pod and namespace"; }
ok "serve labels the listeners' series with their unit and container (and a pod's)"
