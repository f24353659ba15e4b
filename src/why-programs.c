// SPDX-License-Identifier: MIT
/*
 * What the doctor knows of particular programs: the settings that bound
 * their connections, fds and waits, and how to look inside them. A table,
 * kept apart from why.c's logic, that grows with every server met.
 */
#include <string.h>

#include "why.h"

/*
 * What the doctor knows of particular programs, told by their comm (its
 * first n bytes where n is set: python3.11 is python3, php-fpm8.2 is
 * php-fpm), else by words of their command line (gunicorn's workers run
 * as python3; its gevent workers have --worker-connections, not threads).
 * The first entry that matches and says something of `about` speaks.
 */
static const struct {
	/* Its names: one, or a fork's and its original's. */
	const char *comm[2];
	size_t n;
	const char *words[2];
	const char *text[WHY_ABOUT_MAX];
} programs[] = {
	{ { "uwsgi" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "uWSGI: --processes and --threads (requests at "
			  "once), --listen (the queue); --harakiri ends "
			  "requests that run too long",
	    [WHY_TIMEOUT] = "uWSGI: --harakiri ends a request that runs "
			    "too long",
	    [WHY_FDS] = "uWSGI: --max-fd sets its fd limit" } },
	{ { "squid" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "Squid: max_filedescriptors bounds its "
			  "connections: it stops accepting as it runs short "
			  "of fds, and says so in cache.log",
	    [WHY_FDS] = "Squid: max_filedescriptors sets its fd limit; it "
			"stops accepting as it runs short, and says so in "
			"cache.log",
	    [WHY_TIMEOUT] = "Squid: read_timeout bounds the wait for a "
			    "server's answer" } },
	{ { "varnishd", "cache-main" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "Varnish: thread_pools times thread_pool_max "
			  "(requests at once), thread_queue_limit (requests "
			  "that wait for a thread)",
	    [WHY_TIMEOUT] = "Varnish: the backend's first_byte_timeout and "
			    "between_bytes_timeout bound the wait for its "
			    "answer" } },
	{ { "sshd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "OpenSSH: MaxStartups (connections not yet logged "
			  "in) and LoginGraceTime",
	    [WHY_FDS] = "OpenSSH: MaxStartups bounds the connections not "
			"yet logged in; keep it well below the fd limit "
			"(LimitNOFILE= in its unit)" } },
	{ { "mosquitto" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "Mosquitto: max_connections",
	    [WHY_FDS] = "Mosquitto: max_connections; keep it below the fd "
			"limit (LimitNOFILE= in its unit)" } },
	{ { "smtpd" },
	  0,
	  { NULL },
	  { [WHY_TIMEOUT] = "Postfix: smtpd_timeout ends a client that stays "
			    "silent for longer" } },
	{ { NULL },
	  0,
	  { "postfix", "master" },
	  { [WHY_LIMIT] = "Postfix: the maxproc column of master.cf "
			  "(default_process_limit) bounds its smtpd "
			  "processes, and smtpd_timeout an idle client's "
			  "hold on one" } },
	{ { "tinyproxy" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "tinyproxy: MaxClients, and Timeout for idle "
			  "clients",
	    [WHY_TIMEOUT] =
		    "tinyproxy: Timeout closes a connection, to "
		    "the client or to the upstream, idle for longer" } },
	{ { "starman" },
	  7,
	  { NULL },
	  { [WHY_LIMIT] = "Starman: --workers (one request at a time "
			  "each)" } },
	{ { "webfsd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "webfsd: -c (connections at once) and -t (the "
			  "timeout that closes an idle one)" } },
	{ { "named" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "BIND: tcp-clients (and tcp-idle-timeout for "
			  "idle ones)" } },
	{ { "dnsmasq" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "dnsmasq: --max-tcp-connections" } },
	{ { "h2o" }, 0, { NULL }, { [WHY_LIMIT] = "h2o: max-connections" } },
	{ { "knotd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "Knot: tcp-max-clients (split among its "
			  "tcp-workers), and tcp-idle-timeout for idle "
			  "clients" } },
	{ { "pdns_server" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "PowerDNS: max-tcp-connections (its accept "
			  "thread waits for a slot below it), and "
			  "tcp-idle-timeout for idle clients" } },
	{ { "pdns_recursor" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "PowerDNS Recursor: max-tcp-clients" } },
	{ { "unbound" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "Unbound: incoming-num-tcp (per thread), and "
			  "tcp-idle-timeout" } },
	{ { "cupsd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "CUPS: MaxClients in cupsd.conf (at "
			  "MaxClientsPerHost it closes new connections "
			  "itself, and none waits in the queue)",
	    [WHY_FDS] = "CUPS: MaxClients, kept below the fd limit "
			"(LimitNOFILE= in its unit)" } },
	{ { "exim4", "exim" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "Exim: smtp_accept_max (and "
			  "smtp_accept_max_per_host), smtp_connect_backlog "
			  "for the queue" } },
	{ { "pgbouncer" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "PgBouncer: max_client_conn, and default_pool_size "
			  "for the server connections its clients wait for",
	    [WHY_TIMEOUT] = "PgBouncer: query_wait_timeout ends a client's "
			    "wait for a server connection, "
			    "server_connect_timeout and query_timeout the "
			    "wait on the server",
	    [WHY_FDS] = "PgBouncer: max_client_conn plus the pools' server "
			"connections must fit the fd limit" } },
	{ { "stunnel4", "stunnel" },
	  0,
	  { NULL },
	  { [WHY_TIMEOUT] = "stunnel: TIMEOUTconnect and TIMEOUTbusy bound "
			    "the wait on the service it forwards to" } },
	{ { "ngircd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "ngIRCd: MaxConnections and MaxConnectionsIP" } },
	{ { "proftpd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "ProFTPD: MaxInstances (sessions at once), and "
			  "TimeoutIdle" } },
	{ { "caddy" },
	  0,
	  { NULL },
	  { [WHY_FDS] = "Caddy: it has no connection limit of its own; its "
			"fd limit is LimitNOFILE= in its unit (or ulimit "
			"-n where it is started)" } },
	{ { "lighttpd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "lighttpd: server.max-connections, kept well "
			  "below server.max-fds",
	    [WHY_FDS] = "lighttpd: server.max-fds sets its fd limit; "
			"server.max-connections, kept well below it, is "
			"where it stops accepting instead" } },
	{ { "mariadbd", "mysqld" },
	  0,
	  { NULL },
	  { [WHY_FDS] = "MariaDB/MySQL: open_files_limit, which "
			"LimitNOFILE= in its systemd unit caps; its "
			"tables' files count too (table_open_cache)" } },
	{ { "puma" },
	  4,
	  { NULL },
	  { [WHY_LIMIT] = "puma: --threads (-t) in each of its --workers "
			  "(-w)" } },
	{ { "unicorn" },
	  7,
	  { NULL },
	  { [WHY_LIMIT] = "unicorn: worker_processes (one request each), "
			  "and timeout, after which the master kills a "
			  "worker stuck in a request" } },
	{ { "nats-server" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "NATS: max_connections",
	    [WHY_FDS] = "NATS: max_connections, kept below the fd limit "
			"(at EMFILE it sleeps and tries accept() again)" } },
	{ { NULL },
	  0,
	  { "waitress" },
	  { [WHY_LIMIT] = "waitress: connection_limit, and threads, which "
			  "serve them" } },
	{ { NULL },
	  0,
	  { "org.apache.catalina" },
	  { [WHY_LIMIT] = "Tomcat: maxConnections and maxThreads of the "
			  "Connector (acceptCount is the queue's length)" } },
	{ { NULL },
	  0,
	  { "jetty.home" },
	  { [WHY_LIMIT] = "Jetty: jetty.connectionlimit.maxConnections (the "
			  "connectionlimit module) and "
			  "jetty.threadPool.maxThreads; idleTimeout ends "
			  "idle connections" } },
	{ { "cyrmaster" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "Cyrus: maxchild of each service in cyrus.conf "
			  "(each imapd or pop3d it starts serves one client "
			  "at a time)" } },
	{ { "inspircd" },
	  0,
	  { NULL },
	  { [WHY_LIMIT] = "InspIRCd: localmax and globalmax of its <connect> "
			  "blocks, and <performance softlimit>",
	    [WHY_FDS] = "InspIRCd: <performance softlimit> bounds its "
			"clients, and by default follows the fd limit it "
			"started with" } },
	{ { "slapd" },
	  0,
	  { NULL },
	  { [WHY_FDS] = "OpenLDAP: slapd sizes its connection table from "
			"its fd limit; idletimeout (olcIdleTimeout) closes "
			"idle clients",
	    [WHY_TIMEOUT] = "OpenLDAP: idletimeout (olcIdleTimeout) closes "
			    "idle clients" } },
	{ { "turnserver" },
	  0,
	  { NULL },
	  { [WHY_FDS] = "coturn: total-quota and user-quota bound its "
			"sessions; keep them below what its fd limit "
			"holds" } },
	{ { "ruby" },
	  4,
	  { NULL },
	  { [WHY_LIMIT] = "Ruby: WEBrick's MaxClients; puma's --threads "
			  "and --workers" } },
	{ { "postgres" },
	  0,
	  { NULL },
	  { [WHY_TIMEOUT] = "PostgreSQL: statement_timeout bounds a query "
			    "and lock_timeout its wait for a lock; "
			    "client_connection_check_interval ends a query "
			    "whose client has gone; "
			    "idle_in_transaction_session_timeout ends a "
			    "session left idle in a transaction",
	    [WHY_INSPECT] = "PostgreSQL: SELECT pid, state, wait_event_type, "
			    "wait_event, pg_blocking_pids(pid), query FROM "
			    "pg_stat_activity WHERE pid = PID shows what the "
			    "backend waits for and which backends block it" } },
	{ { "php-fpm" },
	  7,
	  { NULL },
	  { [WHY_TIMEOUT] = "php-fpm: request_terminate_timeout, in the "
			    "pool's configuration, ends a request that runs "
			    "too long (request_slowlog_timeout logs its "
			    "stack first)" } },
	{ { "haproxy" },
	  0,
	  { NULL },
	  { [WHY_TIMEOUT] = "haproxy: timeout server bounds the wait for a "
			    "server's answer (timeout queue, the wait for a "
			    "free server)",
	    [WHY_FDS] = "haproxy: it sets its fd limit from the global "
			"maxconn, unless ulimit-n sets it" } },
	{ { "nginx" },
	  0,
	  { NULL },
	  { [WHY_TIMEOUT] = "nginx: proxy_read_timeout (fastcgi_read_timeout, "
			    "uwsgi_read_timeout) bounds the wait for the "
			    "upstream's answer",
	    [WHY_FDS] = "nginx: worker_rlimit_nofile sets its workers' fd "
			"limit; keep worker_connections below it" } },
	{ { "redis-server" },
	  0,
	  { NULL },
	  { [WHY_FDS] = "Redis: it raises its fd limit to maxclients + 32 "
			"where it may, and lowers maxclients where it may "
			"not (its log says so at start)" } },
	{ { "memcached" },
	  0,
	  { NULL },
	  { [WHY_FDS] = "memcached: -c (maximum connections) sets its fd "
			"limit too" } },
	{ { "apache2", "httpd" },
	  0,
	  { NULL },
	  { [WHY_TIMEOUT] = "Apache: Timeout bounds each wait for I/O, and "
			    "ProxyTimeout the wait for a proxied backend" } },
	{ { "java" },
	  5,
	  { NULL },
	  { [WHY_INSPECT] = "Java: jstack PID (or jcmd PID Thread.print) "
			    "shows what each thread waits on, and the locks "
			    "they hold",
	    [WHY_TIMEOUT] = "Java: Socket.setSoTimeout bounds a read; its "
			    "server has its own (Tomcat's connectionTimeout, "
			    "Jetty's idleTimeout)" } },
	{ { "beam.smp" },
	  0,
	  { NULL },
	  { [WHY_INSPECT] = "Erlang: the listener is watched only while a "
			    "process waits in gen_tcp:accept; a remote shell "
			    "(erl -remsh) with observer or recon shows the "
			    "acceptors" } },
	{ { "node", "nodejs" },
	  0,
	  { NULL },
	  { [WHY_INSPECT] = "Node.js: synchronous code blocks its one event "
			    "loop; node --cpu-prof, or --inspect and a "
			    "debugger, shows which" } },
	{ { "python" },
	  6,
	  { NULL },
	  { [WHY_INSPECT] = "Python: gdb -p PID -batch -ex 'thread apply "
			    "all py-bt' shows each thread's Python stack, "
			    "given the interpreter's debug symbols "
			    "(python3-dbg for Debian's python3; a python "
			    "built by hand or by pyenv needs its own)" } },
	{ { NULL },
	  0,
	  { "gunicorn", "gevent" },
	  { [WHY_LIMIT] = "gunicorn's gevent workers: --worker-connections "
			  "(per worker; --threads does not apply to them)" } },
	{ { NULL },
	  0,
	  { "gunicorn", "eventlet" },
	  { [WHY_LIMIT] = "gunicorn's eventlet workers: --worker-connections "
			  "(per worker; --threads does not apply to them)" } },
	{ { NULL },
	  0,
	  { "gunicorn", NULL },
	  { [WHY_TIMEOUT] = "gunicorn: --timeout kills and restarts a "
			    "worker silent for longer" } },
};

/*
 * Whether name (len bytes, not NUL-ended) is entry i's comm, or begins so
 * where n is set (an n past the comm's end asks for all of it).
 */
static bool comm_is(size_t i, const char *name, size_t len)
{
	for (size_t k = 0; k < 2 && programs[i].comm[k]; k++) {
		const char *c = programs[i].comm[k];
		size_t clen = strlen(c), n = programs[i].n;

		if (n && n <= clen ? len >= n && strncmp(name, c, n) == 0 :
				     len == clen && strncmp(name, c, len) == 0)
			return true;
	}
	return false;
}

/*
 * Whether entry i is the program: by its comm, else by the name of the
 * command line's first word: a script run by its interpreter names
 * itself (twistd3, celery), while /usr/bin/python3 comes first.
 */
static bool program_is(size_t i, const char *comm, const char *cmd)
{
	if (programs[i].comm[0]) {
		const char *end, *base;

		if (comm && comm_is(i, comm, strlen(comm)))
			return true;
		if (!cmd)
			return false;
		end = strchr(cmd, ' ');
		end = end ? end : cmd + strlen(cmd);
		base = memrchr(cmd, '/', (size_t)(end - cmd));
		base = base ? base + 1 : cmd;
		return comm_is(i, base, (size_t)(end - base));
	}
	for (size_t k = 0; k < 2; k++)
		if (programs[i].words[k] &&
		    !(cmd && strstr(cmd, programs[i].words[k])))
			return false;
	return true;
}

const char *why_program_text(const char *comm, const char *cmd,
			     enum why_about about)
{
	if (about < 0 || about >= WHY_ABOUT_MAX)
		return NULL;
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (programs[i].text[about] && program_is(i, comm, cmd))
			return programs[i].text[about];
	return NULL;
}
