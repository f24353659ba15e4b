#!/usr/bin/env bash
# No silent wrong answers, and errors that name the file and the real
# cause: -4 -6 lists both families (ss as the oracle); an empty, foreign
# or directory --replay, a /proc --record and a missing --proc-root fail
# with a message naming the file and why; lab's --then-at takes only a
# step of the scenario.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

# error WANT-EXIT "text"... -- args: the exit status, and every text the
# one message must hold, nothing on stdout.
error() {
	local want=$1 texts=() rc
	shift
	while [ "$1" != -- ]; do texts+=("$1"); shift; done
	shift
	"$TCPLIMBO" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, want $want: $(cat "$T/err")"
	for t in "${texts[@]}"; do
		grep -qF -- "$t" "$T/err" || fail "$*: message lacks '$t': $(cat "$T/err")"
	done
	[ -s "$T/out" ] && fail "$*: printed to stdout: $(head -c 200 "$T/out")"
	ok "$* -> $rc: $(head -n 1 "$T/err")"
}

# -4 -6: both families, as many listeners as ss counts without a family.
python3 -c '
import socket, time
a = socket.socket(socket.AF_INET); a.bind(("127.0.0.1", 3021)); a.listen(4)
b = socket.socket(socket.AF_INET6); b.bind(("::1", 3022)); b.listen(4)
print("ready", flush=True)
time.sleep(60)' >"$T/ready" &
tl_wait_for 5 test -s "$T/ready" || fail "listeners not ready"
want=$(ss -Htln | wc -l)
[ "$want" = 2 ] || fail "ss: $want listeners, want 2"
for args in "-4 -6" "-6 -4" "-4 -6 -4"; do
	got=$("$TCPLIMBO" $args ls -H --state listen | wc -l)
	[ "$got" = "$want" ] || fail "$args ls: $got listeners, ss says $want"
done
[ "$("$TCPLIMBO" ls -H -4 --state listen | grep -c '127.0.0.1:3021')" = 1 ] || fail "-4 ls"
[ "$("$TCPLIMBO" -4 ls -H --state listen | wc -l)" = 1 ] || fail "-4 ls: not one listener"
[ "$("$TCPLIMBO" -6 ls -H --state listen | grep -c '3022')" = 1 ] || fail "-6 ls"
ok "-4 -6 lists both families ($want listeners, as ss counts)"

# --replay: a file that is not a dump is an error naming it and why.
: >"$T/empty"
error 3 "'$T/empty'" "empty" "not a sock_diag dump" -- --replay "$T/empty" ls
error 3 "'$T/empty'" "empty" -- --replay "$T/empty" doctor
error 3 "'$T/empty'" "empty" -- ls --replay "$T/empty" --json
error 3 "'/dev/zero'" "not a sock_diag dump" -- --replay /dev/zero ls
error 3 "'$T'" "a directory" -- --replay "$T" ls
error 3 "'$T'" "a directory" -- --replay "$T" explain --diagram
error 3 "'$T/none'" "No such file or directory" -- --replay "$T/none" ls
head -c 100000 /dev/urandom >"$T/random"
printf '\x10\x00\x00\x00\x02\x00' | cat - "$T/random" >"$T/nlerror"
error 3 "'$T/nlerror'" "not a sock_diag dump" -- --replay "$T/nlerror" ls
# A FIFO no process holds open at its other end: an answer, at once for
# --record, after 10 s for --replay (its writer may come second), not a
# wait for ever (timeout is the test's, not the expected way out).
mkfifo "$T/fifo"
fifo() { # expected text, args
	local want=$1 rc
	shift
	timeout 30 "$TCPLIMBO" "$@" >/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 3 ] && grep -qF -- "'$T/fifo': $want" "$T/err" ||
		fail "$* on a FIFO: exit $rc (124: it waited), $(cat "$T/err")"
}
fifo "a FIFO that no process wrote to in 10 s" --replay "$T/fifo" ls
fifo "a FIFO that no process reads" --record "$T/fifo" ls
# A pipe with a writer is read whole (process substitution, /dev/stdin),
# and so is a FIFO whose writer comes after.
"$TCPLIMBO" -4 --record "$T/rec4" ls -H --state listen >/dev/null || fail "record"
[ "$("$TCPLIMBO" --replay <(cat "$T/rec4") ls -H --state listen | wc -l)" = 1 ] ||
	fail "--replay of a pipe: not the one IPv4 listener"
timeout 30 "$TCPLIMBO" --replay "$T/fifo" ls -H --state listen >"$T/fifo.out" &
RP=$!
sleep 0.5
timeout 10 cp "$T/rec4" "$T/fifo" || fail "nobody read the FIFO"
wait "$RP" || fail "--replay of a FIFO written second: exit $?"
[ "$(wc -l <"$T/fifo.out")" = 1 ] || fail "--replay of a FIFO written second: $(cat "$T/fifo.out")"
ok "a FIFO with nobody at the other end is refused, not waited on for ever; a pipe is read"
# A long path does not push the cause out of the message: one no system
# call takes is told by its length, a shorter one cut in its middle.
long=$(printf 'd/%.0s' $(seq 2100))
"$TCPLIMBO" --replay "$long" ls >/dev/null 2>"$T/err"
[ $? = 3 ] && grep -q "^tcplimbo: --replay 'd/d/d.*\.\.\.': 4200 bytes, longer than a path may be (4096 with its end)$" "$T/err" ||
	fail "--replay of a 4200-byte path: $(cut -c 1-300 "$T/err")"
"$TCPLIMBO" -N "/$long" ls >/dev/null 2>"$T/err"
[ $? = 3 ] && grep -q "^tcplimbo: -N '/d/d.*\.\.\.': 4201 bytes, longer than a path may be" "$T/err" ||
	fail "-N of a 4201-byte path: $(cut -c 1-300 "$T/err")"
mid="$T/$(printf 'e/%.0s' $(seq 500))x"
"$TCPLIMBO" --replay "$mid" ls 2>"$T/err" >/dev/null
grep -q "/e/e/x': No such file or directory$" "$T/err" && [ "$(wc -c <"$T/err")" -lt 600 ] ||
	fail "--replay of a 1000-byte path: the cause is cut off: $(cut -c 1-300 "$T/err")"
ok "long paths: the cause stays in the message"
# A dump of no sockets is a dump: it replays as an empty table.
"$TCPLIMBO" -4 --record "$T/nothing" ls --sport 1 >/dev/null || fail "record of nothing"
[ -s "$T/nothing" ] || fail "a recording of no sockets is empty"
"$TCPLIMBO" --replay "$T/nothing" ls -H --sport 1 >"$T/out" || fail "replay of a dump of nothing"
[ -s "$T/out" ] && fail "replay of nothing printed sockets"
ok "a dump of no sockets replays as nothing"

# --record into a file of /proc, --proc-root that is not there.
error 3 "'/proc/version'" "proc filesystem" "cannot store a recording" -- --record /proc/version ls
error 3 "'/proc/version'" "proc filesystem" -- --record /proc/version doctor
error 3 "'/nonexistent-$$'" "No such file or directory" -- --proc-root /nonexistent-$$ ls
error 3 "'/nonexistent-$$'" "No such file or directory" -- doctor --proc-root /nonexistent-$$
error 3 "'/etc/hostname'" "Not a directory" -- --proc-root /etc/hostname ls
# A directory with no PID/ in it is no proc tree: said, not silently ownerless.
mkdir "$T/noproc"
"$TCPLIMBO" --proc-root "$T/noproc" ls >/dev/null 2>"$T/err" || fail "ls --proc-root (empty): $(cat "$T/err")"
grep -qF "'$T/noproc' holds no process directory (PID/): no socket will show an owner" "$T/err" ||
	fail "--proc-root (empty) said: $(cat "$T/err")"
"$TCPLIMBO" --proc-root /proc ls >/dev/null 2>"$T/err" || fail "ls --proc-root /proc"
grep -q "holds no process directory" "$T/err" && fail "--proc-root /proc: $(cat "$T/err")"
ok "--proc-root with no PID/ in it is told"

# lab --then-at: only a step of the scenario, named in the error.
error 3 "'foo'" "connected, client-closed, client-exited, server-accepted" -- \
	lab run seed --then true --then-at foo
error 3 "'queue-grows'" "later" -- lab run time-wait --then true --then-at queue-grows
error 3 "'later'" "without a --then" -- lab run time-wait --then-at later
ok "errors name the file and the cause"

# One exit-status table, in --help and the man page alike.
"$TCPLIMBO" --help >"$T/help" || fail "--help"
for line in "0  done; doctor: nothing found" "1  doctor: warnings; kill, drain: not everything done" \
	"2  doctor: something critical" "3  could not do it" "128+N  lab run stopped by signal N"; do
	grep -qF -- "$line" "$T/help" || fail "--help lacks the exit status line '$line'"
done
MAN=${SRCDIR:-.}/docs/tcplimbo.8
sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$MAN" >"$T/man-exit"
for code in 0 1 2 3 128+N; do
	grep -qx "\.B $code" "$T/man-exit" || fail "the man page's EXIT STATUS lacks $code"
done
ok "one exit-status table in --help and the man page"

# Messages that say what to give instead, and name what they refer to.
error 3 "give those 15 ('fixture.py.tool')" -- ls --comm fixture.py.toolong
# Given as the table shows it, escapes and all: the 15 bytes it stands
# for, shown the same way, which --comm takes back (the message shows the
# name given, whose backslashes are its own, as two).
error 3 "give those 15 ('\\x1b[31mRED\\x1b[0mXXX')" -- ls --comm '\x1b[31mRED\x1b[0mXXXX'
"$TCPLIMBO" ls --comm '\x1b[31mRED\x1b[0mXXX' >/dev/null || fail "--comm: its own suggestion refused"
error 3 "give 1 to 15 bytes" -- ls --comm ''
error 3 "(want a whole number 0..100000000)" -- serve --max-series 99999999999
error 3 "--limbo, --unit or --container)" -- kill
error 3 "(one of no-accept, no-close," -- lab server --mode bogus --seconds 1
# getopt's own messages say "tcplimbo", not the path it was run by.
error 3 "tcplimbo: unrecognized option '--bogus'" -- --bogus
grep -q "^tcplimbo: unrecognized" "$T/err" || fail "getopt names the path: $(cat "$T/err")"
# -N says what is wrong with what it was given.
error 3 "network namespace '/etc/passwd': not a network namespace" -- -N /etc/passwd ls
error 3 "network namespace '2147483646': no process has that pid" -- -N 2147483646 ls
error 3 "network namespace 'tl-none-$$': no such name in /var/run/netns" -- -N "tl-none-$$" ls
# A bad option's bytes reach the terminal escaped, as every other message's.
error 3 "unrecognized option '--x\x1b[2J\xff'" -- ls "$(printf -- '--x\033[2J\377')"
LC_ALL=C grep -q "$(printf '[\001-\010\016-\037\177-\377]')" "$T/err" && fail "control bytes in: $(cat -v "$T/err")"
error 3 "invalid option -- '\x1b'" -- doctor "$(printf -- '-\033')"
error 3 "option requires an argument -- 'N'" -- ls -N
error 3 "option '--sport' requires an argument" -- watch --sport
# Ranges and prefixes: a backwards range and an overlong prefix are named.
error 3 "ls: bad --sport range '100-1': it ends below its start" -- ls --sport 100-1
error 3 "kill: bad --dport '5-' (a port 0-65535, or a range LO-HI; give --dport again for another)" -- kill --dport 5-
error 3 "ls: bad --sport '80,443' (a port 0-65535, or a range LO-HI; give --sport again for another)" -- ls --sport 80,443
error 3 "ls: bad --addr '10.0.0.0/33': the prefix is longer than the address" -- ls --addr 10.0.0.0/33
error 3 "ls: bad --addr '::1/129': the prefix is longer than the address" -- ls --addr ::1/129
# serve's --listen: a numeric address and a port from 1.
error 3 "serve: bad --listen 'localhost:9100' (want ADDR:PORT with a numeric address" -- serve --listen localhost:9100
error 3 "serve: bad --listen '[::1]:0' (port 0 lets the kernel pick one, which no scrape config could name" -- serve --listen '[::1]:0'
error 3 "serve: bad --listen '127.0.0.1:70000' (the port must be 1-65535)" -- serve --listen 127.0.0.1:70000
error 3 "serve: bad --listen '[fe80::1%lo]:9100' (an IPv6 zone (%IFACE) is not supported" -- serve --listen '[fe80::1%lo]:9100'
error 3 "serve: bad --listen '::1:9100'" -- serve --listen ::1:9100
error 3 "watch: bad --addr '::1/' (an IPv4 or IPv6 address or ADDR/BITS" -- watch --addr ::1/
# -4 with an IPv6 address can match no socket: said, not an empty table.
error 3 "--addr ::1 is an IPv6 address, and -4 shows IPv4 sockets only" -- -4 ls --addr ::1
error 3 "--addr fe80::/64 is an IPv6 prefix, and -4 shows IPv4" -- watch -4 --addr fe80::1/64
"$TCPLIMBO" -6 ls --addr 127.0.0.1 >/dev/null || fail "-6 --addr 127.0.0.1: v4-mapped addresses are IPv6 sockets"
"$TCPLIMBO" -4 ls --addr ::1 --addr 127.0.0.1 >/dev/null || fail "-4 with an IPv4 --addr among others: it may match"
# A %DEVICE no device of the namespace has would match nothing, silently.
error 3 "no network device 'nosuchdev0' in this network namespace" -- ls --addr 'fe80::1%nosuchdev0'
error 3 "no network device 'nosuchdev0' in this network namespace" -- kill --addr '::1%nosuchdev0'
"$TCPLIMBO" ls --addr 'fe80::1%lo' >/dev/null || fail "--addr fe80::1%lo: lo is a device here"
"$TCPLIMBO" ls --addr 'fe80::1%99' >/dev/null || fail "--addr fe80::1%99: an index is taken as it is"
error 3 "option '--json=1' does not take an argument" -- ls --json=1
error 3 "see 'tcplimbo -N /proc/self/ns/net ls --state listening'" -- \
	-N /proc/self/ns/net drain 127.0.0.1:31931
"$TCPLIMBO" ls --state syn-received >/dev/null || fail "--state syn-received (RFC 9293's name)"
timeout 10 "$TCPLIMBO" lab server --port 31930 --seconds 1s >/dev/null 2>&1 ||
	fail "lab server --seconds 1s"
ok "--state syn-received and lab server --seconds 1s are taken"

# Options a verb would ignore are refused, not dropped in silence: no
# recording left unwritten, no text where JSON was asked for.
error 3 "--all-netns cannot record its namespaces into a single dump" -- doctor --all-netns --record "$T/all.rec"
[ -e "$T/all.rec" ] && fail "doctor --all-netns --record left a file"
error 3 "lab run takes a live dump of its namespace at each step: drop --record" -- --record "$T/lab.rec" lab run seed --wait 0
error 3 "drop --replay" -- lab run seed --wait 0 --replay "$T/nothing"
error 3 "lab run names each socket's owner: drop --no-owners" -- --no-owners lab run seed --wait 0
error 3 "lab list takes no dump: drop --record" -- --record "$T/list.rec" lab list
[ -e "$T/list.rec" ] && fail "lab list --record left a file"
error 3 "lab client takes no dump: drop --replay" -- --replay "$T/nothing" lab client --port 1 --count 1
error 3 "lab server takes no dump: drop --record" -- --record "$T/srv.rec" lab server --port 1
error 3 "explain: --diagram draws a picture, --json is for STATE and --transitions" -- explain --diagram --json
error 3 "explain: --record is for --diagram" -- explain close-wait --record "$T/explain.rec"
[ -e "$T/explain.rec" ] && fail "explain STATE --record left a file"
error 3 "explain: --replay is for --diagram" -- --replay "$T/nothing" explain --transitions
"$TCPLIMBO" explain --diagram --record "$T/diagram.rec" >/dev/null && [ -s "$T/diagram.rec" ] ||
	fail "explain --diagram --record"
ok "options a verb would ignore are refused"

# A root from the environment is named as such: a variable left set is
# otherwise hard to find. A --root without proc names the --root.
TCPLIMBO_ROOT=/nonexistent-$$ error 3 "TCPLIMBO_ROOT '/nonexistent-$$': No such file or directory" -- ls
TCPLIMBO_ROOT=$T error 3 "it cannot be combined with TCPLIMBO_ROOT" -- --owners-backend bpf ls
error 3 "--root '$T': its proc '$T/proc': No such file or directory" -- --root "$T" ls
# An empty --root is no root at all: refused, not read as none given.
error 3 "--root '': give a directory" -- --root '' ls
