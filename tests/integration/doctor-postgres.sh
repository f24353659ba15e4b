#!/usr/bin/env bash
# The doctor on PostgreSQL (Debian's postgresql-15; skipped when it is not
# installed): two backends wait for a table lock another session holds,
# and their clients give up and close. Each backend then holds a
# CLOSE-WAIT connection it cannot close until the lock comes: it waits in
# an epoll set of its own (the latch), not in the one that holds the
# client's socket. The doctor must call that blocked elsewhere, name
# PostgreSQL's own timeouts and the pg_stat_activity query that shows the
# backend's wait, with the backend's pid, and name no other program's
# settings (php-fpm's, say) in what it prints.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/postgres" ] && [ -x "$PGBIN/initdb" ] || skip "PostgreSQL is not installed"
command -v psql >/dev/null || skip "psql is not installed"
id postgres >/dev/null 2>&1 || skip "no postgres user"
T=$(mktemp -d)
PG=
trap '[ -n "$PG" ] && kill -KILL $PG $(pgrep -P $PG) 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir "$T/data" "$T/sock"
chown postgres "$T/data" "$T/sock"
PORT=5499

runuser -u postgres -- "$PGBIN/initdb" -D "$T/data" -A trust -U postgres >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; fail "initdb failed"; }
runuser -u postgres -- "$PGBIN/postgres" -D "$T/data" -k "$T/sock" -h 127.0.0.1 -p $PORT \
	-c shared_buffers=8MB -c max_connections=10 >"$T/pg.log" 2>&1 &
PG=$!
tl_wait_for 30 psql -h 127.0.0.1 -p $PORT -U postgres -Atqc "select 1" ||
	{ cat "$T/pg.log"; fail "postgres did not start"; }
psql -h 127.0.0.1 -p $PORT -U postgres -qc "create table t (x int)" ||
	fail "cannot create the table"

# One session takes the lock and keeps it (for at most 60 s).
psql -h 127.0.0.1 -p $PORT -U postgres -qc \
	"begin; lock table t; select pg_sleep(60);" >/dev/null 2>&1 &
tl_wait_for 10 sh -c "psql -h 127.0.0.1 -p $PORT -U postgres -Atqc \"select count(*) from pg_locks where relation = 't'::regclass and granted and mode = 'AccessExclusiveLock'\" | grep -qx 1" ||
	fail "the lock was not taken"

# Two clients query the table, which waits for the lock, and go away.
for i in 1 2; do
	python3 -c '
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
p = b"user\0postgres\0database\0postgres\0\0"
s.sendall(struct.pack("!II", len(p) + 8, 196608) + p)
buf = b""
while b"Z\0\0\0\5I" not in buf:  # ReadyForQuery, idle
    d = s.recv(4096)
    if not d:
        sys.exit("closed before ready")
    buf += d
q = b"select * from t\0"
s.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)' $PORT ||
		fail "client $i could not send its query"
done
tl_wait_for 10 sh -c "[ \$(ss -Htan state close-wait 'sport = :$PORT' | wc -l) = 2 ]" ||
	{ ss -tanp; fail "the backends' connections did not reach CLOSE-WAIT"; }
BACKENDS=$(psql -h 127.0.0.1 -p $PORT -U postgres -Atqc \
	"select pid from pg_stat_activity where wait_event_type = 'Lock' order by pid")
[ "$(echo "$BACKENDS" | wc -w)" = 2 ] || fail "not two backends waiting for the lock: $BACKENDS"
# A waiting backend wakes once, after deadlock_timeout (1 s), to look for
# a deadlock; after that it sleeps until the lock comes.
sleep 3

"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d.json"
"$TCPLIMBO" doctor --close-wait-age 1s >"$T/d.txt"
for b in $BACKENDS; do
	jq -e --argjson p "$b" --argjson port $PORT '[.findings[] |
		select(.kind == "close-wait-leak" and .local_port == $port and .pids == [$p])] |
		length == 1 and (.[0] | .comm == "postgres" and .cause == "blocked-elsewhere" and
		(.setting | contains("lock_timeout")) and
		(.setting | contains("client_connection_check_interval")) and
		(.inspect | contains("pg_blocking_pids")) and
		(.inspect | contains("WHERE pid = \($p) ")))' "$T/d.json" >/dev/null ||
		{ cat "$T/d.json"; fail "backend $b: not blocked elsewhere with PostgreSQL's settings"; }
done
ok "two backends waiting for a lock: blocked elsewhere, PostgreSQL's timeouts and pg_stat_activity named"

grep -q "setting: PostgreSQL: statement_timeout" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "the text names no PostgreSQL setting"; }
if grep -Eq "php-fpm|uWSGI|gunicorn|Node.js|asyncio" "$T/d.txt"; then
	cat "$T/d.txt"
	fail "the text names another program's settings"
fi
ok "the text names PostgreSQL's settings and no other program's"
