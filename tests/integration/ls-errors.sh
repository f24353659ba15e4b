#!/usr/bin/env bash
# Bad input: each gets a one-line message naming the bad value and exit 3.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

expect_usage() { # expected text in the message, then the arguments
	local want=$1 rc
	shift
	"$TCPLIMBO" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 3 ] || fail "'$*' exited $rc, not 3"
	grep -qF -- "$want" "$T/err" || { cat "$T/err"; fail "'$*': no '$want' in the message"; }
	[ -s "$T/out" ] && fail "'$*' printed to stdout"
	echo "ok: $* -> $(head -n 1 "$T/err")"
}

expect_usage "70000" ls --sport 70000
expect_usage "-1" ls --dport -1
expect_usage "http" ls --sport http
expect_usage "99999999999999999999" ls --dport 99999999999999999999
expect_usage "close-wiat" ls --state close-wiat
expect_usage "1.2.3" ls --addr 1.2.3
expect_usage "0" ls --pid 0
expect_usage "x12" ls --pid x12
expect_usage "ls: bad --pid '4194304' (a process id, 1-4194303)" ls --pid 4194304
expect_usage "limbo" ls --limbo purgatory
expect_usage "bogus" ls --bogus
expect_usage "extra" ls extra
expect_usage "frobnicate" frobnicate
expect_usage "no-such-ns-$$" -N "no-such-ns-$$" ls
expect_usage "/nonexistent/ns" -N /nonexistent/ns ls
expect_usage "/etc/hostname" -N /etc/hostname ls
expect_usage "../x" -N ../x ls
expect_usage "drop --no-owners" ls --no-owners --pid 1

# A file that is not a dump is an error too, but not a usage error.
echo "not netlink" >"$T/bad.nl"
"$TCPLIMBO" --replay "$T/bad.nl" ls >/dev/null 2>"$T/err" && fail "--replay of junk succeeded"
grep -q "not a sock_diag dump" "$T/err" || { cat "$T/err"; fail "--replay message"; }
# A dump cut short, two dumps in one file, --record over --replay's file.
F=tests/fixtures/post.nl
[ -f "$F" ] || F="$SRCDIR/tests/fixtures/post.nl"
head -c -10 "$F" >"$T/cut.nl"
"$TCPLIMBO" --replay "$T/cut.nl" ls >/dev/null 2>"$T/err" && fail "--replay of a cut dump succeeded"
grep -q "cut short" "$T/err" || { cat "$T/err"; fail "--replay of a cut dump: message"; }
cat "$F" "$F" >"$T/twice.nl"
"$TCPLIMBO" --replay "$T/twice.nl" ls >/dev/null 2>"$T/err" && fail "--replay of two dumps succeeded"
grep -q "more follows the dump's end message" "$T/err" || { cat "$T/err"; fail "--replay of two dumps: message"; }
cp "$F" "$T/keep.nl"
expect_usage "nothing to record" --replay "$T/keep.nl" --record "$T/keep.nl" ls
cmp -s "$F" "$T/keep.nl" || fail "--record with --replay changed the file"
# A FIFO where a file should be (a --proc-root tree made to hang it, or
# -N given one): read at once as nothing, never waited on.
mkdir -p "$T/proc/123/fd" "$T/proc/sys/fs"
mkfifo "$T/proc/123/stat" "$T/proc/123/cmdline" "$T/proc/123/status" "$T/proc/123/limits" "$T/fifo"
timeout 20 "$TCPLIMBO" --proc-root "$T/proc" ls >/dev/null 2>"$T/err"
rc=$?
[ $rc != 124 ] || fail "--proc-root with FIFOs for files: hung"
timeout 20 "$TCPLIMBO" --proc-root "$T/proc" doctor >/dev/null 2>"$T/err"
[ $? != 124 ] || fail "doctor --proc-root with FIFOs for files: hung"
expect_usage "not a network namespace" -N "$T/fifo" ls
# No cgroup2 mounted (inside a container, say): --unit says why it
# cannot be used, and -C notes why its column is empty.
mkdir -p "$T/nocg/proc/self"
echo "23 1 0:21 / /sys rw - sysfs sysfs rw" >"$T/nocg/proc/self/mountinfo"
expect_usage "--unit cannot be used: no cgroup2 hierarchy is mounted here (no cgroup2 line in $T/nocg/proc/self/mountinfo)" \
	--root "$T/nocg" ls --unit web
"$TCPLIMBO" --root "$T/nocg" ls -C >/dev/null 2>"$T/err" || fail "ls -C without cgroup2 failed"
grep -qF "note: --context names no unit or container: no cgroup2 hierarchy is mounted here" "$T/err" ||
	{ cat "$T/err"; fail "ls -C without cgroup2: no note"; }
ok "errors"
