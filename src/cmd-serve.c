// SPDX-License-Identifier: MIT
/*
 * tcplimbo serve: a Prometheus exporter. GET /metrics surveys every
 * network namespace (one /proc pass for all), runs the doctor's rules and
 * answers in the text exposition format. Scrapes that arrive while a scan
 * runs wait for that scan's result instead of starting their own, so
 * there is never more than one scan at a time; --interval reuses a result.
 *
 * Default port 9858: the Prometheus wiki page "Default port allocations"
 * marks 9746-9900 as free ("pick a port in between here") and lists no
 * exporter on 9858, so tcplimbo does not collide with a known exporter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcplimbo/netns.h"

#include "escape.h"
#include "metrics.h"
#include "serve-conns.h"
#include "serve-http.h"
#include "prom.h"
#include "tl.h"
#include "webconfig.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9858"
#define SERVE_CONN_TIMEOUT_S 10
#define SERVE_CONN_LIMIT 256
/*
 * Connections one address may hold: a scraper needs one (a few while a
 * slow scrape overlaps the next), and one client that opens many and
 * trickles bytes (libmicrohttpd's timeout is an idle one) cannot take
 * every slot from the others.
 */
#define SERVE_CONN_PER_IP 128
/* Slots kept free below both limits (see serve_conns's make_room). */
#define SERVE_CONN_SPARE 16
/* At SIGTERM, how long scrapes being answered are waited for. */
#define SERVE_STOP_WAIT_MS 10000

/* serve's own options; the global struct is only read. */
struct serve_opts {
	const char *listen;
	const char *web_config;
	const char *netns_spec;
	bool all;
	uint32_t interval_ms;
	uint64_t max_series;
	struct sockaddr_storage sa; /* --listen, parsed */
	bool v6;
};

/* One scan's rendered metrics, shared by the scrapes that asked for it. */
struct result {
	unsigned refs;
	char *text;
	size_t len;
	int err; /* -errno when the scan failed */
};

struct server {
	struct tl_survey_opts so;
	struct metrics_opts mo;
	struct webconfig *wc;
	uint64_t interval_ns;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool scanning;
	uint64_t gen;	     /* scans finished */
	struct result *last; /* the newest result, or NULL */
	uint64_t last_at_ns;
	uint64_t scrapes, errors;
	/* libmicrohttpd's messages, under log_lock (its threads log too). */
	pthread_mutex_t log_lock;
	bool started;		  /* before: kept, not printed (see mhd_log) */
	char first_log[256];	  /* the first message before it started */
	uint64_t log_sec;	  /* CLOCK_MONOTONIC second of the last one */
	unsigned log_dropped;	  /* messages held back in that second */
	struct serve_conns conns; /* for the header deadline */
};

static void serve_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcplimbo serve [--listen ADDR:PORT] [--web-config FILE]\n"
		"                      [--all-netns | -N NS] [--interval D] [--max-series N]\n"
		"\n"
		"A Prometheus exporter: GET /metrics surveys the TCP sockets of every\n"
		"network namespace, runs the doctor's rules and answers in the text\n"
		"exposition format. Runs in the foreground; SIGINT or SIGTERM stop it.\n"
		"\n"
		"Options:\n"
		"  -l, --listen ADDR:PORT  where to listen (" SERVE_DEFAULT_LISTEN
		"; [::1]:PORT for IPv6,\n"
		"                          :PORT for every address)\n"
		"      --web-config FILE   TLS and basic auth, exporter-toolkit format\n"
		"  -A, --all-netns         every network namespace (the default)\n"
		"  -N, --netns NS          only this network namespace\n"
		"      --interval D        reuse a scan for D (500ms, 1.5s, 2m, 1h; a\n"
		"                          bare number counts seconds; at most a\n"
		"                          day; default 0: one scan per scrape)\n"
		"      --max-series N      cap on series a scrape (default %d; 0:\n"
		"                          none but the state, finding and\n"
		"                          exporter series)\n"
		"\n" TL_GLOBAL_HELP,
		METRICS_MAX_SERIES_DEFAULT);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void result_put(struct server *s, struct result *r)
{
	bool last;

	if (!r)
		return;
	pthread_mutex_lock(&s->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last) {
		free(r->text);
		free(r);
	}
}

/* One scan, rendered. Runs without the lock: nobody else scans now. */
static struct result *scan(struct server *s, size_t *ret_unreadable)
{
	struct result *r = calloc(1, sizeof(*r));
	struct tl_survey *sv = NULL;
	struct metrics_result mr = { 0 };
	struct prom p = { 0 };

	*ret_unreadable = 0;
	if (!r)
		return NULL;
	/*
	 * Drops are told only where they went on since the last scan; the
	 * first has nothing to compare with, and waits for the next.
	 */
	s->so.diag.drops_before =
		metrics_ledger_seen(s->mo.ledger, &s->so.diag.n_drops_before);
	s->so.diag.drops_first_look = s->mo.ledger && !s->so.diag.drops_before;
	r->err = tl_survey_take(&s->so, &sv);
	if (r->err == 0)
		r->err = metrics_render(sv, &s->mo, &p, &mr);
	if (r->err == 0) {
		r->text = p.buf;
		r->len = p.len;
		*ret_unreadable = mr.netns_unreadable;
	} else {
		const char *bpf = tl_bpf_refused_why(s->so.owners_backend,
						     s->so.owners, r->err);

		prom_free(&p);
		tl_err("serve: scan failed: %s%s",
		       bpf ? "--owners-backend bpf: " : "",
		       bpf ? bpf : strerror(-r->err));
	}
	tl_survey_free(sv);
	/* A scan's peak is most of serve's memory: give it back between. */
	malloc_trim(0);
	return r;
}

/*
 * The result a scrape answers with, referenced: a cached one within
 * --interval, the one of a scan already running (waited for), or a new
 * scan's. NULL only when out of memory.
 */
static struct result *result_get(struct server *s)
{
	struct result *r = NULL, *old = NULL;
	size_t unreadable;
	uint64_t gen;

	pthread_mutex_lock(&s->lock);
	if (s->last && s->interval_ns &&
	    now_ns() - s->last_at_ns < s->interval_ns) {
		r = s->last;
		r->refs++;
		goto out;
	}
	if (s->scanning) {
		gen = s->gen;
		while (s->scanning && s->gen == gen)
			pthread_cond_wait(&s->done, &s->lock);
		r = s->last;
		if (r)
			r->refs++;
		goto out;
	}
	s->scanning = true;
	pthread_mutex_unlock(&s->lock);
	r = scan(s, &unreadable);
	pthread_mutex_lock(&s->lock);
	s->scanning = false;
	s->gen++;
	s->errors += unreadable + (!r || r->err);
	if (r) {
		old = s->last;
		s->last = r;
		s->last_at_ns = now_ns();
		r->refs = 2; /* the cache's and ours */
	}
	pthread_cond_broadcast(&s->done);
out:
	pthread_mutex_unlock(&s->lock);
	result_put(s, old);
	return r;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
			      const char *type, char *body, size_t len,
			      enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					"GET, HEAD");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status,
			    const char *msg)
{
	return answer(c, status, "text/plain; charset=utf-8", (char *)msg,
		      strlen(msg), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result metrics(struct server *s, struct MHD_Connection *c)
{
	struct result *r;
	struct prom tail = { 0 };
	uint64_t scrapes, scans, errors;
	char *body;
	size_t len;

	pthread_mutex_lock(&s->lock);
	s->scrapes++;
	pthread_mutex_unlock(&s->lock);
	r = result_get(s);
	if (!r)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "out of memory\n");
	if (r->err) {
		result_put(s, r);
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "the scan failed; see the exporter's log\n");
	}
	pthread_mutex_lock(&s->lock);
	scrapes = s->scrapes;
	scans = s->gen;
	errors = s->errors;
	pthread_mutex_unlock(&s->lock);
	/* The server's own counters change per request: written here. */
	prom_family(&tail, "tcplimbo_scrapes_total", "counter",
		    "Requests for /metrics since the exporter started.");
	prom_sample(&tail, "tcplimbo_scrapes_total", NULL, 0, scrapes, 0);
	prom_family(
		&tail, "tcplimbo_scans_total", "counter",
		"Scans of the machine since the exporter started; concurrent scrapes share one.");
	prom_sample(&tail, "tcplimbo_scans_total", NULL, 0, scans, 0);
	prom_family(
		&tail, "tcplimbo_scrape_errors_total", "counter",
		"Failed scans plus namespaces a scan could not look into, since the exporter started.");
	prom_sample(&tail, "tcplimbo_scrape_errors_total", NULL, 0, errors, 0);
	len = r->len + tail.len;
	body = tail.err ? NULL : malloc(len ? len : 1);
	if (body) {
		memcpy(body, r->text, r->len);
		memcpy(body + r->len, tail.buf, tail.len);
	}
	result_put(s, r);
	prom_free(&tail);
	if (!body)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "out of memory\n");
	return answer(c, MHD_HTTP_OK, PROM_CONTENT_TYPE, body, len,
		      MHD_RESPMEM_MUST_FREE);
}

/*
 * A message from a connection's or the reaper's thread: at most one a
 * second, with a count of those held back, since any local user can open
 * connections that each cause one. Before the daemon runs they are kept,
 * not printed: a failed start says "Failed to bind to port 0" for any
 * port, and run() says what failed itself.
 */
static void log_limited(struct server *s, const char *msg)
{
	struct timespec ts;
	unsigned dropped = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&s->log_lock);
	if (!s->started) {
		if (!s->first_log[0])
			snprintf(s->first_log, sizeof(s->first_log), "%s", msg);
		pthread_mutex_unlock(&s->log_lock);
		return;
	}
	if ((uint64_t)ts.tv_sec == s->log_sec) {
		s->log_dropped++;
		pthread_mutex_unlock(&s->log_lock);
		return;
	}
	s->log_sec = (uint64_t)ts.tv_sec;
	dropped = s->log_dropped;
	s->log_dropped = 0;
	pthread_mutex_unlock(&s->log_lock);
	if (dropped)
		tl_err("serve: %s (and %u more message%s in the second "
		       "before)",
		       msg, dropped, dropped == 1 ? "" : "s");
	else
		tl_err("serve: %s", msg);
}

/* The reaper's lines, through log_limited(). */
static void conns_log(void *arg, const char *msg)
{
	log_limited(arg, msg);
}

/* libmicrohttpd's own complaints, as one line each. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages, through log_limited(). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;
	char msg[512];
	size_t n;

	char *html;
	int open = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/*
	 * It quotes the HTML body of its own error pages ("... is 505
	 * ('<html><head>...')"): the status says it, the page is noise.
	 */
	html = strstr(msg, " ('<html");
	if (html)
		*html = '\0';
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	for (size_t i = 0; html && i < n; i++)
		open += msg[i] == '(' ? 1 : msg[i] == ')' ? -1 : 0;
	while (open-- > 0 && n + 1 < sizeof(msg)) {
		msg[n++] = ')';
		msg[n] = '\0';
	}
	log_limited(s, msg);
}

static const char index_html[] =
	"<!DOCTYPE html>\n<html><head><title>tcplimbo exporter</title></head>\n"
	"<body><h1>tcplimbo exporter</h1>\n"
	"<p>TCP connections stuck in limbo, per network namespace: "
	"<a href=\"metrics\">metrics</a>.</p>\n"
	"<p>Version " TL_VERSION ". See tcplimbo(8).</p></body></html>\n";

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;

	serve_conns_request(&s->conns, c, true);
	/*
	 * libmicrohttpd calls this once the headers are in and again once
	 * the request is complete. An answer queued on the first call is an
	 * early one: it closes the connection (Connection: close) and drops
	 * whatever the client pipelined after it. A request without a body
	 * is therefore answered on the second call, and its connection kept
	 * alive; one that announces a body is answered at once, unread.
	 */
	if (!*con_cls) {
		*con_cls = c;
		if (!serve_has_body(c))
			return MHD_YES;
	}
	if (!serve_host_ok(c, version))
		return text(c, MHD_HTTP_BAD_REQUEST,
			    "an HTTP/1.1 request needs one Host header\n");
	if (s->wc && !webconfig_auth_ok(s->wc, c)) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			13, (void *)"Unauthorized\n", MHD_RESPMEM_PERSISTENT);
		enum MHD_Result ret;

		if (!resp)
			return MHD_NO;
		ret = MHD_queue_basic_auth_fail_response(c, "tcplimbo", resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "only GET and HEAD\n");
	url = serve_target_path(url);
	if (strcmp(url, "/metrics") == 0)
		return metrics(s, c);
	if (strcmp(url, "/") == 0)
		return answer(c, MHD_HTTP_OK, "text/html; charset=utf-8",
			      (char *)index_html, sizeof(index_html) - 1,
			      MHD_RESPMEM_PERSISTENT);
	return text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

/*
 * libmicrohttpd decodes %XX in the path before handle() sees it, and a
 * decoded NUL ends the string there: /metrics%00.txt answered as
 * /metrics. A path with %00 is left as sent, so it matches no page.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	if (strstr(s, "%00"))
		return strlen(s);
	return MHD_http_unescape(s);
}

/* Clear of the global (0x4000) and filter (0x1000) codes. */
enum { OPT_WEB_CONFIG = 0x5000, OPT_INTERVAL, OPT_MAX_SERIES };

/* What is wrong with a --listen tl_parse_listen refused, where it can tell. */
static const char *listen_wants(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (colon && strcmp(colon + 1, "0") == 0)
		return "port 0 lets the kernel pick one, which no scrape "
		       "config could name: give a port 1-65535";
	if (colon && tl_parse_uint(colon + 1, UINT64_MAX, &port) == 0 &&
	    (port == 0 || port > 65535))
		return "the port must be 1-65535";
	if (strchr(s, '%'))
		return "an IPv6 zone (%IFACE) is not supported: listen on a "
		       "global or loopback address";
	return "want ADDR:PORT with a numeric address, [ADDR]:PORT for "
	       "IPv6, or :PORT";
}

static int serve_parse(struct tl_global *g, void *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		TL_GLOBAL_LONGOPTS,
		{ "listen", required_argument, NULL, 'l' },
		{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
		{ "all-netns", no_argument, NULL, 'A' },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_opts *o = opts;
	uint64_t v;
	int c;

	o->listen = SERVE_DEFAULT_LISTEN;
	o->max_series = METRICS_MAX_SERIES_DEFAULT;
	while ((c = getopt_long(argc, argv, TL_GLOBAL_SHORTOPTS "l:Ah",
				longopts, NULL)) != -1) {
		if (tl_global_option(g, c, optarg))
			continue;
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case OPT_WEB_CONFIG:
			o->web_config = optarg;
			break;
		case 'A':
			o->all = true;
			break;
		case OPT_INTERVAL:
			if (tl_duration_option("serve", "--interval", optarg,
					       1000, 0, 86400000, &v) < 0)
				return TL_PARSE_BAD;
			o->interval_ms = (uint32_t)v;
			break;
		case OPT_MAX_SERIES:
			if (tl_parse_uint(optarg, 100000000, &o->max_series) <
			    0) {
				tl_err("serve: bad value '%s' for --max-series (want a whole number 0..100000000)",
				       optarg);
				return TL_PARSE_BAD;
			}
			break;
		case 'h':
			serve_usage(stdout);
			return TL_PARSE_HELP;
		default:
			tl_bad_option(c, argv);
			return TL_PARSE_BAD;
		}
	}
	if (optind < argc) {
		tl_err("serve: unexpected argument '%s'", argv[optind]);
		return TL_PARSE_BAD;
	}
	if (o->all && g->netns_spec) {
		tl_err("serve: --all-netns and -N exclude each other");
		return TL_PARSE_BAD;
	}
	/* Accepted and ignored, it would promise output serve never gives. */
	if (g->json) {
		tl_err("serve: --json does not apply: serve answers in Prometheus's text format");
		return TL_PARSE_BAD;
	}
	if (g->replay_path || g->record_path) {
		tl_err("serve: --record and --replay are for one dump, not a server");
		return TL_PARSE_BAD;
	}
	if (tl_parse_listen(o->listen, &o->sa, &o->v6) < 0) {
		tl_err("serve: bad --listen '%s' (%s)", o->listen,
		       listen_wants(o->listen));
		return TL_PARSE_BAD;
	}
	return 0;
}

static int run(struct server *s, const struct serve_opts *o,
	       const struct sockaddr_storage *sa, bool v6)
{
	/* MHD_USE_ITC: MHD_quiesce_daemon at the stop needs it. */
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC;
	struct MHD_OptionItem tls[4] = { { MHD_OPTION_END, 0, NULL } };
	struct MHD_Daemon *d;
	char spec[ESC_SIZE(TL_NETNS_SPEC_MAX)];
	sigset_t set;
	int sig = 0, r;

	if (v6)
		flags |= MHD_USE_IPv6 | MHD_USE_DUAL_STACK;
	if (s->wc && webconfig_tls(s->wc)) {
		flags |= MHD_USE_TLS;
		tls[0] =
			(struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						 (void *)webconfig_key(s->wc) };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						  (void *)webconfig_cert(
							  s->wc) };
		tls[2] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)webconfig_tls_priorities(s->wc)
		};
	}
	/* Every thread libmicrohttpd starts inherits this mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	d = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, s, MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_CONN_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SERVE_CONN_PER_IP,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, serve_conns_notify, &s->conns,
		MHD_OPTION_NOTIFY_COMPLETED, serve_conns_done, &s->conns,
		MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!d) {
		/* errno is the socket's; else what libmicrohttpd said. */
		int err = errno;

		pthread_mutex_lock(&s->log_lock);
		/* bind() says EACCES for a privileged port. */
		tl_err("serve: cannot listen on %s%s%s%s", o->listen,
		       err || s->first_log[0] ? ": " : "",
		       err ? strerror(err) : s->first_log,
		       err == EACCES ? " (a port below "
				       "net.ipv4.ip_unprivileged_port_start, "
				       "1024 by default, needs "
				       "CAP_NET_BIND_SERVICE)" :
				       "");
		pthread_mutex_unlock(&s->log_lock);
		return TL_EXIT_FAILURE;
	}
	pthread_mutex_lock(&s->log_lock);
	s->started = true;
	pthread_mutex_unlock(&s->log_lock);
	r = serve_conns_start(&s->conns);
	if (r < 0) {
		tl_err("serve: cannot start the connection reaper: %s",
		       strerror(-r));
		MHD_stop_daemon(d);
		return TL_EXIT_FAILURE;
	}
	fprintf(stderr,
		"tcplimbo: serve: listening on %s://%s%s/metrics (%s%s, %s)\n",
		s->wc && webconfig_tls(s->wc) ? "https" : "http",
		o->listen[0] == ':' ? "*" : "", o->listen,
		o->netns_spec ? "the network namespace of -N " :
				"every network namespace",
		o->netns_spec ? esc_text(spec, sizeof(spec), o->netns_spec) :
				"",
		o->interval_ms ? "results reused within --interval" :
				 "one scan per scrape");
	/*
	 * -4 and -6 narrow every count and no label says so: the log does,
	 * so that a total lower than ss shows is not taken for a bug.
	 */
	if (s->so.family != AF_UNSPEC)
		fprintf(stderr,
			"tcplimbo: serve: -%c: only %s sockets are counted\n",
			s->so.family == AF_INET ? '4' : '6',
			s->so.family == AF_INET ? "IPv4" : "IPv6");
	/* SIGHUP usually means "reload": say that nothing is, and go on. */
	while (sigwait(&set, &sig) != 0 || sig == SIGHUP)
		if (sig == SIGHUP)
			tl_err("serve: SIGHUP ignored: serve reloads nothing (restart it to change its options or --web-config)");
	pthread_mutex_lock(&s->lock);
	fprintf(stderr,
		"tcplimbo: serve: stopping on %s after %llu scrape%s and %llu scan%s\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM",
		(unsigned long long)s->scrapes, s->scrapes == 1 ? "" : "s",
		(unsigned long long)s->gen, s->gen == 1 ? "" : "s");
	pthread_mutex_unlock(&s->lock);
	serve_conns_stop_daemon(&s->conns, d, SERVE_STOP_WAIT_MS);
	return 0;
}

static int stay(void *arg)
{
	(void)arg;
	return 0;
}

static int serve_run(const struct tl_global *g, void *opts)
{
	struct serve_opts o = *(const struct serve_opts *)opts;
	struct server s = { 0 };
	int r, ret = TL_EXIT_FAILURE;

	o.netns_spec = g->netns_spec;
	/*
	 * A namespace named with -N that can never be entered would leave an
	 * exporter up that only ever says it is blind: refuse at start, as
	 * ls and the doctor do. One that vanishes later is a scrape's news.
	 */
	if (o.netns_spec) {
		char hint[256];

		r = tl_netns_run(g->netns_fd, stay, NULL);
		if (r < 0) {
			tl_err("serve: cannot enter network namespace '%s': %s%s%s",
			       o.netns_spec, strerror(-r),
			       r == -EPERM ? " " : "",
			       r == -EPERM ? tl_enter_hint(g->netns_fd,
							   tl_netns_pid(g),
							   hint, sizeof(hint)) :
					     "");
			return TL_EXIT_FAILURE;
		}
	}
	if (o.web_config) {
		r = webconfig_load(o.web_config, &s.wc);
		if (r < 0)
			return TL_EXIT_USAGE; /* it said what is wrong */
	}
	tl_survey_opts_init(&s.so);
	s.so.proc_root = g->proc_root;
	s.so.family = g->family;
	s.so.owners = !g->no_owners;
	s.so.owners_backend = g->owners_backend;
	s.so.owners_threads = g->threads;
	s.mo.max_series = (size_t)o.max_series;
	s.mo.root = g->root;
	s.mo.proc_root = g->proc_root;
	/* Only one scan runs at a time (result_get): it may update it. */
	if (metrics_ledger_new(&s.mo.ledger) < 0) {
		tl_err("serve: %s", strerror(ENOMEM));
		webconfig_free(s.wc);
		return TL_EXIT_FAILURE;
	}
	r = serve_conns_init(&s.conns, conns_log, &s);
	/*
	 * Short of libmicrohttpd's limits, so that it does not refuse: by
	 * more than one, since a connection shut down holds its slot there
	 * until its thread has closed it, and a client that reconnects at
	 * once keeps some always in that state.
	 */
	s.conns.limit = SERVE_CONN_LIMIT - SERVE_CONN_SPARE;
	s.conns.per_addr = SERVE_CONN_PER_IP - SERVE_CONN_SPARE;
	if (r < 0) {
		tl_err("serve: %s", strerror(-r));
		metrics_ledger_free(s.mo.ledger);
		webconfig_free(s.wc);
		return TL_EXIT_FAILURE;
	}
	s.interval_ns = (uint64_t)o.interval_ms * 1000000u;
	if (o.netns_spec) {
		s.so.all = false;
		/*
		 * Opened again at each scan: the fd main opened would keep a
		 * deleted namespace alive and report it, empty, for ever,
		 * where `ip netns del NAME; ip netns add NAME` made a new one
		 * of that name. A pid's namespace is pinned to the one the
		 * process was in: once it exits, its pid may be another's.
		 */
		s.so.netns_spec = o.netns_spec;
		s.so.netns_by = g->netns_by;
		if (g->netns_by == TL_NETNS_BY_PID)
			s.so.netns_inode = tl_netns_inode(g->netns_fd);
		/* Checked above; kept, it would pin a deleted namespace. */
		close(g->netns_fd);
		s.mo.single_name =
			g->netns_by == TL_NETNS_BY_NAME ? o.netns_spec : NULL;
	}
	/*
	 * Scans run in whichever connection's thread asked first, and each
	 * new thread would get its own malloc arena, which keeps the peak
	 * of every scan it ran: one arena for all.
	 */
	mallopt(M_ARENA_MAX, 1);
	pthread_mutex_init(&s.lock, NULL);
	pthread_mutex_init(&s.log_lock, NULL);
	pthread_cond_init(&s.done, NULL);
	ret = run(&s, &o, &o.sa, o.v6);
	if (s.last) {
		free(s.last->text);
		free(s.last);
	}
	serve_conns_destroy(&s.conns);
	pthread_cond_destroy(&s.done);
	pthread_mutex_destroy(&s.log_lock);
	pthread_mutex_destroy(&s.lock);
	webconfig_free(s.wc);
	metrics_ledger_free(s.mo.ledger);
	return ret;
}

const struct tl_verb tl_verb_serve = {
	.name = "serve",
	.help = "export metrics for Prometheus over HTTP",
	.opts_size = sizeof(struct serve_opts),
	.parse = serve_parse,
	.run = serve_run,
};
