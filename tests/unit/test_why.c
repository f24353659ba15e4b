// SPDX-License-Identifier: MIT
/*
 * Tests for src/why.c's pids in remedies: a remedy or inspect line that
 * says PID gets the pid of the process the finding is about, the stopped
 * one where a master runs and its worker is stopped; FD, the fd a blocked
 * process waits on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "why.h"

static void test_fill_pid(void **state)
{
	char buf[128];
	const char *none = "restart it";

	(void)state;
	assert_string_equal(why_fill_pid(buf, sizeof(buf),
					 "ls -l /proc/PID/fd; gdb -p PID.",
					 "23954"),
			    "ls -l /proc/23954/fd; gdb -p 23954.");
	/* Only the word: PIDS and TIDPID are not it. */
	assert_string_equal(why_fill_pid(buf, sizeof(buf), "PIDS TIDPID PID",
					 "7"),
			    "PIDS TIDPID 7");
	assert_ptr_equal(why_fill_pid(buf, sizeof(buf), none, "7"), none);
	/* Too long for buf: the text as it was, not a cut one. */
	assert_string_equal(why_fill_pid(buf, 8, "kill -CONT PID", "23954"),
			    "kill -CONT PID");
}

/* A process's evidence and verdict, in state st. */
static void proc(struct why *w, struct tl_evidence *ev, size_t i, pid_t pid,
		 char st)
{
	memset(&ev[i], 0, sizeof(ev[i]));
	ev[i].pid = pid;
	ev[i].state = st;
	tl_evidence_conclude(&ev[i], TL_FIND_CLOSE_WAIT_LEAK, &w->v[i]);
}

/*
 * varnish: the master 23940 runs, its worker 23954 is stopped. The
 * remedy resumes the worker, not a placeholder and not the master.
 */
static void test_stopped_worker(void **state)
{
	struct tl_evidence ev[2];
	struct why w;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.ev = ev;
	w.n = 2;
	proc(&w, ev, 0, 23940, 'S');
	proc(&w, ev, 1, 23954, 'T');
	assert_int_equal(w.v[1].cause, TL_CAUSE_STOPPED);
	w.lead = 1;
	w.cause = TL_CAUSE_STOPPED;
	w.certainty = TL_CERT_CERTAIN;
	w.remedy = w.v[1].remedy;
	w.inspect = "Python: gdb -p PID -batch";
	why_name_pids(&w);
	print_message("  fix: %s\n  inspect: %s\n", w.remedy, w.inspect);
	assert_non_null(strstr(w.remedy, "kill -CONT 23954 and"));
	assert_null(strstr(w.remedy, "PID"));
	assert_null(strstr(w.remedy, "23940"));
	assert_string_equal(w.inspect, "Python: gdb -p 23954 -batch");
}

/* Both stopped: kill -CONT takes them all. */
static void test_all_stopped(void **state)
{
	struct tl_evidence ev[2];
	struct why w;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.ev = ev;
	w.n = 2;
	proc(&w, ev, 0, 100, 'T');
	proc(&w, ev, 1, 101, 'T');
	w.cause = TL_CAUSE_STOPPED;
	w.remedy = w.v[0].remedy;
	why_name_pids(&w);
	assert_non_null(strstr(w.remedy, "kill -CONT 100 101 and"));
}

/*
 * A process blocked in I/O on fd 8: its remedy's ls -l /proc/PID/fd/FD
 * names both, ready to run. Without an fd, FD stays as written.
 */
static void test_blocked_fd(void **state)
{
	static const char remedy[] =
		"ls -l /proc/PID/fd/FD and ss -tp; FDS stays.";
	struct tl_evidence ev[1];
	struct why w;

	(void)state;
	memset(&w, 0, sizeof(w));
	memset(ev, 0, sizeof(ev));
	ev[0].pid = 4711;
	w.ev = ev;
	w.n = 1;
	w.v[0].cause = TL_CAUSE_BLOCKED;
	w.v[0].fd = 8;
	w.cause = TL_CAUSE_BLOCKED;
	w.remedy = remedy;
	why_name_pids(&w);
	assert_string_equal(w.remedy,
			    "ls -l /proc/4711/fd/8 and ss -tp; FDS stays.");
	w.v[0].fd = -1;
	w.remedy = remedy;
	why_name_pids(&w);
	assert_string_equal(w.remedy,
			    "ls -l /proc/4711/fd/FD and ss -tp; FDS stays.");
}

/*
 * Programs are told by comm (a prefix where versions follow), else by
 * their command line; each says only what is known of it, and a program
 * not known gets nothing, not another program's setting.
 */
static void test_program_text(void **state)
{
	(void)state;
	assert_non_null(strstr(why_program_text("postgres", NULL, WHY_TIMEOUT),
			       "statement_timeout"));
	assert_non_null(strstr(why_program_text("postgres",
						"postgres: app db "
						"127.0.0.1(5) idle",
						WHY_INSPECT),
			       "pg_blocking_pids"));
	assert_null(why_program_text("postgres", NULL, WHY_LIMIT));
	/* Exact comms are exact; versioned ones match by their prefix. */
	assert_null(why_program_text("postgresX", NULL, WHY_TIMEOUT));
	/* From the s29 servers hunt: by comm, and by command line. */
	assert_non_null(strstr(
		why_program_text("puma: cluster w", NULL, WHY_LIMIT), "-w"));
	assert_non_null(strstr(why_program_text("unicorn", NULL, WHY_LIMIT),
			       "worker_processes"));
	assert_non_null(strstr(why_program_text("nats-server", NULL, WHY_FDS),
			       "max_connections"));
	assert_non_null(strstr(
		why_program_text(
			"python3",
			"/usr/bin/python3 /usr/bin/waitress-serve app:app",
			WHY_LIMIT),
		"connection_limit"));
	assert_non_null(strstr(
		why_program_text(
			"java",
			"java -cp x org.apache.catalina.startup.Bootstrap start",
			WHY_LIMIT),
		"maxConnections"));
	assert_null(why_program_text("python3", "/usr/bin/python3 app.py",
				     WHY_LIMIT));
	/*
	 * A script run by its interpreter, named after itself (twistd3, from
	 * the s30 servers hunt): the interpreter, first on its command line.
	 */
	assert_non_null(strstr(why_program_text("twistd3",
						"/usr/bin/python3 "
						"/usr/bin/twistd3 -n web",
						WHY_INSPECT),
			       "py-bt"));
	assert_non_null(
		strstr(why_program_text("jsvc", "/usr/lib/jvm/bin/java -cp x",
					WHY_INSPECT),
		       "jstack"));
	/* From the s30 servers hunt: Jetty by its command line, Cyrus. */
	assert_non_null(strstr(
		why_program_text("java",
				 "java -Djetty.home=/usr/share/jetty9 -jar "
				 "/usr/share/jetty9/start.jar",
				 WHY_LIMIT),
		"connectionlimit"));
	assert_non_null(strstr(why_program_text("cyrmaster", NULL, WHY_LIMIT),
			       "maxchild"));
	/* Courier's and UW's imapd are no Cyrus; a script's name no Jetty. */
	assert_null(why_program_text("imapd", NULL, WHY_LIMIT));
	assert_null(why_program_text("python3", "python3 jetty_check.py",
				     WHY_LIMIT));
	assert_non_null(strstr(why_program_text("slapd", NULL, WHY_FDS),
			       "idletimeout"));
	/* A first word that only begins like an exact comm is not it. */
	assert_null(
		why_program_text("x", "nginx: worker process", WHY_TIMEOUT));
	assert_null(why_program_text("x", "/opt/nginxx -c f", WHY_TIMEOUT));
	assert_non_null(
		why_program_text("x", "/usr/sbin/nginx -c f", WHY_TIMEOUT));
	/* PowerDNS, from the s29 daemons hunt. */
	assert_non_null(strstr(why_program_text("pdns_server", NULL, WHY_LIMIT),
			       "max-tcp-connections"));
	/* Starman's master and workers by the start of their comm. */
	assert_non_null(
		strstr(why_program_text("starman worker", NULL, WHY_LIMIT),
		       "--workers"));
	assert_non_null(strstr(why_program_text("webfsd", NULL, WHY_LIMIT),
			       "-c (connections at once)"));
	assert_non_null(
		strstr(why_program_text("php-fpm8.2", NULL, WHY_TIMEOUT),
		       "request_terminate_timeout"));
	assert_non_null(strstr(
		why_program_text("python3.11", NULL, WHY_INSPECT), "py-bt"));
	/* A program known by nothing says nothing. */
	assert_null(
		why_program_text("myserver", "./myserver -p 80", WHY_TIMEOUT));
	assert_null(why_program_text("node", NULL, WHY_TIMEOUT));
	assert_null(why_program_text(NULL, NULL, WHY_INSPECT));
	/* gunicorn by its command line: the worker class picks the limit. */
	assert_non_null(strstr(why_program_text("python3",
						"/usr/bin/python3 gunicorn -k "
						"gevent app:app",
						WHY_LIMIT),
			       "--worker-connections"));
	assert_null(why_program_text("python3",
				     "/usr/bin/python3 gunicorn "
				     "app:app",
				     WHY_LIMIT));
	assert_non_null(strstr(why_program_text("python3",
						"/usr/bin/python3 gunicorn "
						"app:app",
						WHY_TIMEOUT),
			       "--timeout"));
	/* Unread command line: comm alone. */
	assert_null(why_program_text("python3", NULL, WHY_LIMIT));
	assert_null(why_program_text("tinyproxy", NULL, WHY_ABOUT_MAX));
	/* Out of fds: where the program sets its own limit. */
	assert_non_null(strstr(why_program_text("redis-server", NULL, WHY_FDS),
			       "maxclients + 32"));
	assert_null(why_program_text("redis-server", NULL, WHY_TIMEOUT));
	/* Servers met later, each by its own setting. */
	assert_non_null(strstr(why_program_text("knotd", NULL, WHY_LIMIT),
			       "tcp-max-clients"));
	assert_non_null(strstr(why_program_text("pgbouncer", NULL, WHY_TIMEOUT),
			       "query_wait_timeout"));
	assert_non_null(strstr(why_program_text("stunnel4", NULL, WHY_TIMEOUT),
			       "TIMEOUTbusy"));
	assert_non_null(strstr(why_program_text("exim4", NULL, WHY_LIMIT),
			       "smtp_accept_max"));
	assert_non_null(strstr(why_program_text("caddy", NULL, WHY_FDS),
			       "LimitNOFILE="));
	assert_null(why_program_text("caddy", NULL, WHY_LIMIT));
	/* One entry, two names: MariaDB's server and the one it forked. */
	assert_non_null(strstr(why_program_text("mariadbd", NULL, WHY_FDS),
			       "open_files_limit"));
	assert_ptr_equal(why_program_text("mysqld", NULL, WHY_FDS),
			 why_program_text("mariadbd", NULL, WHY_FDS));
	assert_null(why_program_text("mysql", NULL, WHY_FDS));
	assert_null(why_program_text("mysqld", NULL, WHY_LIMIT));
	/* Daemons with their own settings: by comm, a worker's name too. */
	assert_non_null(strstr(why_program_text("squid", NULL, WHY_FDS),
			       "max_filedescriptors"));
	assert_ptr_equal(why_program_text("cache-main", NULL, WHY_LIMIT),
			 why_program_text("varnishd", NULL, WHY_LIMIT));
	assert_non_null(strstr(why_program_text("sshd", NULL, WHY_LIMIT),
			       "MaxStartups"));
	assert_non_null(
		strstr(why_program_text("uwsgi", NULL, WHY_FDS), "--max-fd"));
	/* Postfix's master is named master: by its command line only. */
	assert_non_null(strstr(why_program_text("master",
						"/usr/lib/postfix/sbin/master "
						"-w",
						WHY_LIMIT),
			       "maxproc"));
	assert_null(
		why_program_text("master", "./master --port 80", WHY_LIMIT));
	assert_ptr_equal(why_program_text("nodejs", NULL, WHY_INSPECT),
			 why_program_text("node", NULL, WHY_INSPECT));
	assert_null(why_program_text("nodes", NULL, WHY_INSPECT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_pid),
		cmocka_unit_test(test_stopped_worker),
		cmocka_unit_test(test_all_stopped),
		cmocka_unit_test(test_blocked_fd),
		cmocka_unit_test(test_program_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
