#!/usr/bin/env bash
# serve's --web-config and its default bind. Basic auth: no credentials,
# a wrong password and an unknown user get 401, the right ones 200. TLS:
# a scrape verified against the test's own CA works, plain HTTP to the TLS
# port gets no metrics. A malformed or unsupported file stops serve at
# start with exit 3 and the line. Without --listen it binds loopback only:
# another address of this namespace is refused.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/serve-lib.sh"
command -v curl >/dev/null || skip "curl not installed"
command -v openssl >/dev/null || skip "openssl not installed"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
PORT=19859

# Default bind: loopback only.
ip addr add 10.213.0.1/32 dev lo || fail "a second address"
serve_start http://127.0.0.1:9858/
[ "$(curl -s -o /dev/null -w '%{http_code}' -m 5 http://10.213.0.1:9858/metrics)" = 000 ] ||
	fail "default bind answers on 10.213.0.1"
ss -Htln "sport = :9858" | awk '{print $4}' | grep -qx '127.0.0.1:9858' ||
	{ ss -Htln; fail "not bound to 127.0.0.1:9858 alone"; }
kill $SERVE
wait $SERVE
ok "default bind 127.0.0.1:9858; 10.213.0.1:9858 refused"

# A port already taken: one line, with the real cause (libmicrohttpd's
# own "Failed to bind to port 0" is not passed on).
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 19860)); s.listen(1)
print("up", flush=True); time.sleep(30)' >"$T/taken" &
tl_wait_for 5 grep -q up "$T/taken" || fail "could not take port 19860"
"$TCPLIMBO" serve --listen 127.0.0.1:19860 >/dev/null 2>"$T/err"
rc=$?
[ $rc = 3 ] && [ "$(cat "$T/err")" = "tcplimbo: serve: cannot listen on 127.0.0.1:19860: Address already in use" ] ||
	{ cat "$T/err"; fail "port taken: exit $rc, or not one line with the cause"; }
ok "port taken: exit 3, $(cat "$T/err")"

# Basic auth, bcrypt (cost 4: the test does not measure bcrypt).
HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))')
case $HASH in '$2'*) ;; *) skip "python3 crypt cannot make bcrypt hashes" ;; esac
printf 'basic_auth_users:\n  prom: %s\n' "$HASH" >"$T/auth.yml"
URL=http://127.0.0.1:$PORT
"$TCPLIMBO" serve --listen 127.0.0.1:$PORT --web-config "$T/auth.yml" 2>>"$T/serve.log" &
SERVE=$!
tl_wait_for 10 sh -c "curl -s -o /dev/null -w '%{http_code}' $URL/ | grep -q 401" ||
	{ cat "$T/serve.log"; fail "no 401 without credentials"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$URL/metrics")" = 401 ] || fail "no credentials: not 401"
[ "$(code -u prom:wrong "$URL/metrics")" = 401 ] || fail "wrong password: not 401"
[ "$(code -u nobody:s3cret "$URL/metrics")" = 401 ] || fail "unknown user: not 401"
curl -s -D "$T/h" -o /dev/null "$URL/metrics"
grep -qi '^www-authenticate: basic' "$T/h" || fail "no WWW-Authenticate"
curl -sf -u prom:s3cret -o "$T/m" "$URL/metrics" || fail "right credentials"
# A NUL in the path does not end it: /metrics%00.txt is not /metrics.
[ "$(code -u prom:s3cret "$URL/metrics%00.txt")" = 404 ] || fail "/metrics%00.txt: not 404"
[ "$(code -u prom:s3cret "$URL/metrics%00")" = 404 ] || fail "/metrics%00: not 404"
[ "$(code -u prom:s3cret "$URL/%6detrics")" = 200 ] || fail "/%6detrics: other escapes no longer decoded"
grep -q '^tcplimbo_build_info' "$T/m" || fail "metrics behind auth"
kill $SERVE
wait $SERVE
ok "basic auth: 401 without, with a wrong password, for an unknown user; 200 right; %00 in the path 404"

# TLS with the test's own CA.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=tl-test-ca \
	-keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null || fail "CA"
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	-keyout "$T/srv.key" -out "$T/srv.csr" 2>/dev/null || fail "CSR"
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
	-CAcreateserial -days 1 -extfile "$T/ext" -out "$T/srv.crt" 2>/dev/null ||
	fail "server certificate"
# Relative names are relative to the file.
printf 'tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n' >"$T/tls.yml"
"$TCPLIMBO" serve --listen 127.0.0.1:$PORT --web-config "$T/tls.yml" 2>>"$T/serve.log" &
SERVE=$!
tl_wait_for 10 curl -sf --cacert "$T/ca.crt" -o /dev/null "https://127.0.0.1:$PORT/" ||
	{ cat "$T/serve.log"; fail "TLS scrape with our CA"; }
curl -sf --cacert "$T/ca.crt" -o "$T/m" "https://127.0.0.1:$PORT/metrics" ||
	fail "TLS /metrics"
grep -q '^tcplimbo_build_info' "$T/m" || fail "metrics over TLS"
curl -s -m 5 -o "$T/plain" "http://127.0.0.1:$PORT/metrics"
touch "$T/plain"
grep -q tcplimbo_ "$T/plain" && fail "plain HTTP to the TLS port got metrics"
# Without our CA the certificate is not trusted.
curl -sf -m 5 -o /dev/null "https://127.0.0.1:$PORT/metrics" && fail "untrusted CA accepted"
# TLS 1.2 and 1.3 only, as exporter-toolkit: 1.0 and 1.1 get no session.
for v in tls1 tls1_1; do
	echo | timeout 10 openssl s_client -"$v" -connect 127.0.0.1:$PORT \
		-CAfile "$T/ca.crt" >"$T/s_client" 2>&1
	grep -q "Cipher is (NONE)\|no protocols available\|alert protocol version" "$T/s_client" ||
		{ cat "$T/s_client"; fail "TLS: -$v got a session"; }
done
echo | timeout 10 openssl s_client -tls1_2 -connect 127.0.0.1:$PORT \
	-CAfile "$T/ca.crt" >"$T/s_client" 2>&1
grep -q "^New, TLSv1.2, Cipher is" "$T/s_client" || { cat "$T/s_client"; fail "TLS 1.2 refused"; }
kill $SERVE
wait $SERVE
grep -q 'listening on https://' "$T/serve.log" || fail "start line says https"
ok "TLS: verified with the test's CA; plain HTTP, unknown CA, TLS 1.0 and 1.1 fail"

# min_version TLS13 (exporter-toolkit's spelling): a TLS 1.2 client is
# refused, a 1.3 one served.
printf 'tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  min_version: TLS13\n' >"$T/tls13.yml"
"$TCPLIMBO" serve --listen 127.0.0.1:$PORT --web-config "$T/tls13.yml" 2>>"$T/serve.log" &
SERVE=$!
tl_wait_for 10 curl -sf --cacert "$T/ca.crt" -o /dev/null "https://127.0.0.1:$PORT/" ||
	{ cat "$T/serve.log"; fail "TLS 1.3 scrape with min_version TLS13"; }
echo | timeout 10 openssl s_client -tls1_2 -connect 127.0.0.1:$PORT \
	-CAfile "$T/ca.crt" >"$T/s_client" 2>&1
grep -q "Cipher is (NONE)\|no protocols available\|alert protocol version" "$T/s_client" ||
	{ cat "$T/s_client"; fail "min_version TLS13: TLS 1.2 got a session"; }
echo | timeout 10 openssl s_client -tls1_3 -connect 127.0.0.1:$PORT \
	-CAfile "$T/ca.crt" >"$T/s_client" 2>&1
grep -q "^New, TLSv1.3, Cipher is" "$T/s_client" || { cat "$T/s_client"; fail "min_version TLS13: TLS 1.3 refused"; }
kill $SERVE
wait $SERVE
ok "TLS: min_version TLS13 refuses TLS 1.2, serves 1.3"

# One address holding many slow connections (a byte now and then resets
# libmicrohttpd's idle timeout) takes at most its share: a scraper from
# another address is still answered.
"$TCPLIMBO" serve --listen 127.0.0.1:$PORT 2>>"$T/serve.log" &
SERVE=$!
tl_wait_for 10 sh -c "curl -s -o /dev/null $URL/metrics" || fail "serve did not start"
python3 - "$PORT" <<'PY' || fail "a second address was not answered while one held 300 connections"
import socket, subprocess, sys, time
port = int(sys.argv[1])
held = []
for _ in range(300):
    try:
        c = socket.socket()
        c.bind(("127.0.0.2", 0))
        c.connect(("127.0.0.1", port))
        c.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        held.append(c)
    except OSError:
        pass
time.sleep(0.5)
r = subprocess.run(["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://127.0.0.1:%d/metrics" % port], capture_output=True, text=True)
sys.exit(0 if r.stdout == "200" else 1)
PY
kill $SERVE
wait $SERVE
ok "300 slow connections from one address leave the exporter to the others"

# A connection that never finishes its request headers is closed 10 s
# after its accept, though a byte every second keeps restarting the idle
# timeout; scrapes go on meanwhile. (Many such clients from two addresses
# used to fill the connection limit and keep every scraper out.)
"$TCPLIMBO" serve --listen 127.0.0.1:$PORT 2>>"$T/serve.log" &
SERVE=$!
tl_wait_for 10 sh -c "curl -s -o /dev/null $URL/metrics" || fail "serve did not start"
python3 - "$PORT" <<'PY' || { tail -3 "$T/serve.log"; fail "a connection dripping its headers was not closed within 20 s"; }
import socket, subprocess, sys, time
port = int(sys.argv[1])
c = socket.socket()
c.bind(("127.0.0.2", 0))
c.connect(("127.0.0.1", port))
c.settimeout(1)
c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Drip: ")
for i in range(20):
    try:
        if c.recv(64) == b"":
            break
    except socket.timeout:
        pass
    except OSError:
        break
    try:
        c.sendall(b"a")
    except OSError:
        break
    r = subprocess.run(["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://127.0.0.1:%d/metrics" % port], capture_output=True, text=True)
    if r.stdout != "200":
        sys.exit("scrape %d while dripping: %s" % (i, r.stdout))
else:
    sys.exit(1)
PY
kill $SERVE
wait $SERVE
grep -q "closing 1 connection that sent no complete request headers within 10 s" "$T/serve.log" ||
	{ cat "$T/serve.log"; fail "the deadline's close not logged"; }
ok "a connection dripping a byte a second is closed at the 10 s header deadline; scrapes answered"

# A local user holding connections to a loopback exporter shares
# 127.0.0.1 with its scrapers: 130 of them, each with half a request,
# reconnecting when closed, must not keep scrapes out (they did: at the
# per-address limit libmicrohttpd turned every new connection away). The
# oldest without a request makes room for a new one.
"$TCPLIMBO" serve --listen 127.0.0.1:$PORT 2>>"$T/serve.log" &
SERVE=$!
tl_wait_for 10 sh -c "curl -s -o /dev/null $URL/metrics" || fail "serve did not start"
python3 - "$PORT" <<'PY' || { tail -3 "$T/serve.log"; fail "scrapes kept out by 130 held connections from 127.0.0.1"; }
import socket, subprocess, sys, threading, time
port = int(sys.argv[1])
end = time.time() + 8
def hold():
    while time.time() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            s.settimeout(max(0.1, end - time.time()))
            s.recv(1)
        except OSError:
            time.sleep(0.05)
for _ in range(130):
    threading.Thread(target=hold, daemon=True).start()
time.sleep(2)
for i in range(4):
    r = subprocess.run(["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                        "http://127.0.0.1:%d/metrics" % port], capture_output=True, text=True)
    if r.stdout != "200":
        sys.exit("scrape %d: %s" % (i, r.stdout))
    time.sleep(1)
PY
kill $SERVE
wait $SERVE
ok "130 connections held from 127.0.0.1, the scrapers' own address: scrapes answered"

# Bad files: exit 3 at start, naming the line.
bad() { # expected text, file content
	printf '%b' "$2" >"$T/bad.yml"
	timeout 10 "$TCPLIMBO" serve --listen 127.0.0.1:$PORT --web-config "$T/bad.yml" \
		>/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 3 ] || { cat "$T/err"; fail "'$2': exit $rc, want 3"; }
	grep -q -- "$1" "$T/err" || { cat "$T/err"; fail "'$2': message lacks '$1'"; }
}
bad "line 2: not valid YAML" 'basic_auth_users: {}\n  bad: indent\n'
bad "from line 2)" 'basic_auth_users:\n  a: [unclosed\n'
# A control character is the reader's error, found by offset, not line.
bad "line 3: not valid YAML: control characters are not allowed" '# one\nbasic_auth_users:\n  "d\x01": x\n'
bad "line 3: 'tls_config' is not supported" '# comment\nbasic_auth_users: {}\ntls_config: {}\n'
bad "line 2: the password of 'bob' must be a bcrypt hash" 'basic_auth_users:\n  bob: plain\n'
bad "needs both cert_file and key_file" 'tls_server_config:\n  cert_file: x.crt\n'
bad "cert_file '$T/none.crt'" 'tls_server_config:\n  cert_file: none.crt\n  key_file: none.key\n'
bad "line 2: min_version TLS10: tcplimbo serves TLS 1.2 and 1.3 only" 'tls_server_config:\n  min_version: TLS10\n'
bad "line 3: max_version must be TLS12 or TLS13" 'tls_server_config:\n  min_version: TLS12\n  max_version: tls13\n'
bad "min_version TLS13 is above max_version TLS12" 'tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  min_version: TLS13\n  max_version: TLS12\n'
# Files that are not PEM fail at start, naming the file, not the listen.
printf 'not a certificate\n' >"$T/text.crt"
bad "cert_file '$T/text.crt': not a PEM certificate" 'tls_server_config:\n  cert_file: text.crt\n  key_file: srv.key\n'
bad "key_file '$T/srv.crt': not a PEM private key" 'tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.crt\n'
# A FIFO is not read: nobody may ever write it, and serve would not start.
mkfifo "$T/fifo.yml"
timeout 10 "$TCPLIMBO" serve --listen 127.0.0.1:$PORT --web-config "$T/fifo.yml" 2>"$T/err"
[ $? = 3 ] && grep -q "fifo.yml': not a regular file" "$T/err" ||
	{ cat "$T/err"; fail "--web-config FIFO: not refused at once"; }
timeout 10 "$TCPLIMBO" serve --web-config "$T/missing.yml" 2>"$T/err"
[ $? = 3 ] && grep -q "missing.yml" "$T/err" || fail "missing file"
ok "bad web configs exit 3 naming the line"
