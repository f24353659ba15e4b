#!/usr/bin/env bash
# Processes whose fds cannot be read: ls and doctor say which pids and what
# happened, and suggest root only to someone who is not root. Root without
# CAP_SYS_PTRACE cannot read the fds of another user's process: the note
# then names the capability it lacks, never "run as root" (nor "even as
# root", which would say that nothing can be done).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
command -v setpriv >/dev/null || skip "setpriv not found"
T=$(mktemp -d)
chmod 755 "$T"
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
NOPTRACE="setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace"
$NOBODY test -x "$TCPLIMBO" || skip "nobody cannot run $TCPLIMBO"

# In a PID namespace of its own (its /proc shows only what runs in it),
# root without CAP_SYS_PTRACE runs a process of another user (nobody) and
# the commands; the one process they cannot read is nobody's.
cat >"$T/inside.sh" <<'SH'
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30 &
echo "$!" >"$T/pid"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(stat -c %u /proc/$!/fd 2>/dev/null)" = 65534 ] && break
	sleep 0.1
done
# The /proc pass: the bpf one reads every fd through the kernel.
"$TCPLIMBO" --owners-backend proc ls >/dev/null 2>"$T/ls.err" || echo "ls failed" >>"$T/ls.err"
"$TCPLIMBO" --owners-backend proc doctor >"$T/d.txt"
"$TCPLIMBO" --owners-backend proc doctor --json >"$T/d.json"
"$TCPLIMBO" -N $! ls >/dev/null 2>"$T/ns.err"
echo "rc=$?" >>"$T/ns.err"
kill $!
SH
T="$T" TCPLIMBO="$TCPLIMBO" $NOPTRACE unshare -p -f --mount-proc bash "$T/inside.sh" ||
	fail "cannot run in a PID namespace of its own"
P=$(cat "$T/pid")
grep -qx "tcplimbo: the fds of pid $P could not be read (Permission denied: this process lacks CAP_SYS_PTRACE, which reading them needs); sockets it holds show no owner" "$T/ls.err" ||
	{ cat "$T/ls.err"; fail "ls: not 'pid $P ... lacks CAP_SYS_PTRACE'"; }
ok "ls as root without CAP_SYS_PTRACE: $(cat "$T/ls.err")"
grep -qx "not seen: the fds of pid $P could not be read (Permission denied: this process lacks CAP_SYS_PTRACE, which reading them needs); any sockets it holds here have no owner." "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "doctor: not 'pid $P ... lacks CAP_SYS_PTRACE'"; }
jq -e '.denied_processes == 1' "$T/d.json" >/dev/null || { cat "$T/d.json"; fail "doctor --json: denied_processes is not 1"; }
ok "doctor as root without CAP_SYS_PTRACE: pid $P, the capability named"
grep -qx "tcplimbo: network namespace '$P': Permission denied (its /proc/PID/ns/net needs ptrace access to the process, which is denied here even to root)" "$T/ns.err" &&
	grep -qx "rc=3" "$T/ns.err" ||
	{ cat "$T/ns.err"; fail "-N PID as root without CAP_SYS_PTRACE: not 'even to root'"; }
ok "-N PID as root without CAP_SYS_PTRACE: denied even to root, exit 3"

# A zombie has no fds left to hide: one of root's, closed to nobody, is not
# counted; its living parent is.
cat >"$T/zombie.sh" <<'SH'
# The child exits at once; sleep, exec'd in its parent, never waits.
bash -c 'true & echo $$ $!; exec sleep 30' >"$T/z" &
for _ in $(seq 50); do
	read -r _ kid <"$T/z" 2>/dev/null && grep -q '^State:.Z' "/proc/$kid/status" 2>/dev/null && break
	sleep 0.1
done
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TCPLIMBO" --owners-backend proc ls >/dev/null 2>"$T/z.err"
kill %1
SH
T="$T" TCPLIMBO="$TCPLIMBO" unshare -p -f --mount-proc bash "$T/zombie.sh" ||
	fail "cannot run in a PID namespace of its own"
read -r parent kid <"$T/z"
grep -Eq "pids? ([0-9]+, )*$parent[ ,)]" "$T/z.err" ||
	{ cat "$T/z.err"; fail "the zombie's parent $parent is not counted"; }
grep -Eq "pids? ([0-9]+, )*$kid[ ,)]" "$T/z.err" &&
	{ cat "$T/z.err"; fail "zombie $kid is counted as unreadable"; }
ok "a zombie (pid $kid) is not counted as unreadable; its parent ($parent) is"

# Not root: told to run as root.
$NOBODY "$TCPLIMBO" ls 2>"$T/nobody.err" >/dev/null || fail "ls as nobody"
grep -q 'could not be read (.*; run as root to see them)' "$T/nobody.err" ||
	{ cat "$T/nobody.err"; fail "nobody is not told to run as root"; }
ok "as nobody: told to run as root"
# JSON tells an owner not seen from no owner at all: root's listener, its
# fd closed to nobody, may be held by a process not read; the connection
# queued in it has no fd anywhere. Root sees the listener's owner;
# --no-owners says owners were not looked for.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 4101)); s.listen(4)
c = socket.create_connection(("127.0.0.1", 4101))
time.sleep(30)' &
tl_wait_for 10 sh -c "[ \"\$(ss -Htln 'sport = :4101' | awk '{print \$2}')\" = 1 ]" ||
	fail "no queued connection on 4101"
$NOBODY "$TCPLIMBO" ls --json --sport 4101 2>/dev/null >"$T/nobody.json" || fail "ls --json as nobody"
jq -e 'length == 2 and
	(.[] | select(.state == "listen") | .owners == [] and .owners_complete == false) and
	(.[] | select(.limbo == "accept-queue") | .owners == [] and .owners_complete == true and
		.listener_owners == [] and .listener_owners_complete == false)' \
	"$T/nobody.json" >/dev/null || { cat "$T/nobody.json"; fail "as nobody: owners_complete does not tell unread from none"; }
# Root reads every process's fds, unless (in a user namespace) it cannot
# read some, and says so: then the listener's list is not complete either.
"$TCPLIMBO" --owners-backend proc ls --json --sport 4101 >"$T/root.json" 2>"$T/root.err" ||
	fail "ls --json as root"
complete=true
grep -q "could not be read" "$T/root.err" && complete=false
jq -e --argjson c $complete '
	(.[] | select(.state == "listen") | .owners[0].comm == "python3" and .owners_complete == $c) and
	(.[] | select(.limbo == "accept-queue") | .owners_complete == true and
		.listener_owners[0].comm == "python3" and .listener_owners_complete == $c)' \
	"$T/root.json" >/dev/null || { cat "$T/root.err" "$T/root.json"; fail "as root: owners_complete is not $complete"; }
"$TCPLIMBO" ls --json --no-owners --sport 4101 >"$T/noown.json" || fail "ls --json --no-owners"
jq -e 'length == 2 and all(.[]; .owners == null and .owners_complete == null) and
	(.[] | select(.limbo == "accept-queue") | .listener_owners == null and
		.listener_owners_complete == null)' \
	"$T/noown.json" >/dev/null || { cat "$T/noown.json"; fail "--no-owners: owners not null"; }
kill %1
ok "ls --json: owners_complete tells an unread owner (nobody), a complete list (root) and none looked for"
# Kernel threads have no fds: theirs, closed to nobody, hide nothing and
# are not counted (kthreadd is pid 2 where this runs in the host's PID
# namespace).
if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
	grep -Eq 'pids? ([0-9]+, )*2[ ,)]' "$T/nobody.err" &&
		{ cat "$T/nobody.err"; fail "kthreadd (pid 2) is counted as a process whose fds could not be read"; }
	ok "as nobody: kernel threads are not counted as unreadable"
fi
# Root of a user namespace a user made (unshare -r) is not the host's:
# not told "even as root", nor to run as root.
if $NOBODY unshare -r true 2>/dev/null; then
	$NOBODY unshare -r "$TCPLIMBO" ls 2>"$T/userns.err" >/dev/null || fail "ls in a user namespace"
	grep -q "could not be read (.*; root here is a user namespace's" "$T/userns.err" &&
		! grep -q "even as root" "$T/userns.err" ||
		{ cat "$T/userns.err"; fail "root of a user namespace is told it is root"; }
	ok "root of a user namespace: $(cat "$T/userns.err")"
fi
# kill and watch say it too: --comm cannot match what could not be seen,
# and watch leaves those sockets unnamed.
$NOBODY "$TCPLIMBO" kill --comm sleep --dry-run >/dev/null 2>"$T/kill.err"
grep -q "^tcplimbo: kill: the fds of .* could not be read" "$T/kill.err" ||
	{ cat "$T/kill.err"; fail "kill as nobody does not say whose fds it could not read"; }
$NOBODY "$TCPLIMBO" watch --backend poll --seconds 1 >/dev/null 2>"$T/watch.err" ||
	{ cat "$T/watch.err"; fail "watch as nobody"; }
grep -q "^tcplimbo: watch: the fds of .* could not be read" "$T/watch.err" ||
	{ cat "$T/watch.err"; fail "watch as nobody does not say whose fds it could not read"; }
ok "as nobody: kill and watch say whose fds they could not read"
# /proc mounted with hidepid=2: other users' processes are not even
# listed, so none counts as unreadable; ls and doctor say they are hidden.
if unshare -m --propagation private true 2>/dev/null; then
	unshare -m --propagation private sh -c '
		mount -t proc -o hidepid=2 proc /proc || exit 9
		'"$NOBODY"' "$1" ls >/dev/null 2>"$2/hp.err"
		# The same through --proc-root, as a container that mounts
		# the host'"'"'s /proc elsewhere: at a path mountinfo escapes.
		mkdir "$2/host proc" && mount -t proc -o hidepid=2 proc "$2/host proc" || exit 9
		'"$NOBODY"' "$1" --proc-root "$2/host proc" ls >/dev/null 2>"$2/hproot.err"
		mount -t proc proc "$2/host proc" || exit 9
		'"$NOBODY"' "$1" --proc-root "$2/host proc" ls >/dev/null 2>"$2/hproot-open.err"
		'"$NOBODY"' "$1" doctor --json >"$2/hp.json"
		'"$NOBODY"' "$1" -N $$ ls >/dev/null 2>"$2/hpns.err"
		echo "rc=$? pid=$$" >>"$2/hpns.err"
		exit 0' sh "$TCPLIMBO" "$T"
	rc=$?
	if [ $rc = 9 ]; then
		echo "skip: cannot mount proc with hidepid=2 here"
	else
		grep -q "other users' processes are hidden from this user (/proc is mounted with hidepid" "$T/hp.err" ||
			{ cat "$T/hp.err"; fail "ls under hidepid=2 does not say processes are hidden"; }
		jq -e '.processes_hidden == true' "$T/hp.json" >/dev/null ||
			{ cat "$T/hp.json"; fail "doctor --json under hidepid=2: processes_hidden is not true"; }
		ok "under hidepid=2: ls and doctor say other users' processes are hidden"
		grep -q "other users' processes are hidden from this user" "$T/hproot.err" ||
			{ cat "$T/hproot.err"; fail "ls --proc-root on a hidepid=2 proc mount does not say processes are hidden"; }
		! grep -q "hidden" "$T/hproot-open.err" ||
			{ cat "$T/hproot-open.err"; fail "ls --proc-root on a proc mount without hidepid says processes are hidden"; }
		ok "--proc-root at a path with a space: hidden under hidepid=2, not once mounted over without it"
		# -N naming a pid it cannot see: hidden, not "no process".
		hp=$(sed -n 's/^rc=3 pid=//p' "$T/hpns.err")
		[ -n "$hp" ] && grep -qx "tcplimbo: network namespace '$hp': another user's process has that pid, and /proc hides other users' processes from this user (it is mounted with hidepid; run as root)" "$T/hpns.err" ||
			{ cat "$T/hpns.err"; fail "-N PID under hidepid=2: not told the process is hidden"; }
		ok "under hidepid=2: -N PID of another user's process says it is hidden, exit 3"
	fi
fi
# hidepid=1 leaves other users' processes listed but closes their /proc/PID:
# -N PID says so (/proc answers EPERM there, not EACCES).
if unshare -m --propagation private true 2>/dev/null; then
	unshare -m --propagation private sh -c '
		mount -t proc -o hidepid=1 proc /proc || exit 9
		'"$NOBODY"' "$1" -N $$ ls >/dev/null 2>"$2/hp1.err"
		echo "rc=$? pid=$$" >>"$2/hp1.err"
		'"$NOBODY"' "$1" ls >/dev/null 2>"$2/hp1ls.err"
		exit 0' sh "$TCPLIMBO" "$T"
	if [ $? = 9 ]; then
		echo "skip: cannot mount proc with hidepid=1 here"
	else
		hp=$(sed -n 's/^rc=3 pid=//p' "$T/hp1.err")
		[ -n "$hp" ] && grep -qx "tcplimbo: network namespace '$hp': Operation not permitted (/proc is mounted with hidepid=1, which closes other users' /proc/PID to this user; run as root)" "$T/hp1.err" ||
			{ cat "$T/hp1.err"; fail "-N PID under hidepid=1: not told why"; }
		ok "under hidepid=1: -N PID of another user's process names hidepid=1, exit 3"
		# Every other process is closed, kernel threads too: said.
		grep -q "could not be read (Operation not permitted: /proc is mounted with hidepid=1, kernel threads included; run as root to see them); sockets they hold show no owner$" "$T/hp1ls.err" ||
			{ cat "$T/hp1ls.err"; fail "ls under hidepid=1 does not say why so many are closed"; }
		ok "under hidepid=1: ls says /proc is mounted hidepid=1, kernel threads included"
	fi
fi
