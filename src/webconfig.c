// SPDX-License-Identifier: MIT
/* serve's --web-config; see webconfig.h. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "tl.h"
#include "webconfig.h"

/* Bounds on what a config names: users, and the size of files read. */
#define WC_USERS_MAX 1000
#define WC_FILE_MAX (1 << 20)
#define WC_NAME_MAX 256

struct wc_user {
	char *name;
	char *hash;
};

struct webconfig {
	char *cert_file, *key_file; /* as resolved */
	int tls_min, tls_max;	    /* 12 or 13: TLS 1.2 or 1.3 */
	char *cert, *key;	    /* their contents */
	struct wc_user *users;
	size_t n_users;
};

void webconfig_free(struct webconfig *wc)
{
	if (!wc)
		return;
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->cert);
	if (wc->key) {
		explicit_bzero(wc->key, strlen(wc->key));
		free(wc->key);
	}
	for (size_t i = 0; i < wc->n_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	free(wc);
}

bool webconfig_tls(const struct webconfig *wc)
{
	return wc->cert != NULL;
}

const char *webconfig_tls_priorities(const struct webconfig *wc)
{
	int lo = wc->tls_min ? wc->tls_min : 12;
	int hi = wc->tls_max ? wc->tls_max : 13;

	if (lo == 13)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	if (hi == 12)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.2";
	return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
}

const char *webconfig_cert(const struct webconfig *wc)
{
	return wc->cert;
}

const char *webconfig_key(const struct webconfig *wc)
{
	return wc->key;
}

size_t webconfig_users(const struct webconfig *wc)
{
	return wc->n_users;
}

/*
 * Reads a whole file, at most WC_FILE_MAX bytes, NUL-terminated. Only a
 * regular file: a FIFO would block the exporter's start for as long as no
 * one writes to it (-ESPIPE).
 */
static int slurp(const char *path, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t len = 0;
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		n = -errno;
	else if (S_ISDIR(st.st_mode))
		n = -EISDIR;
	else
		n = S_ISREG(st.st_mode) ? 0 : -ESPIPE;
	if (n < 0) {
		close(fd);
		return (int)n;
	}
	buf = malloc(WC_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len <= WC_FILE_MAX &&
	       (n = read(fd, buf + len, WC_FILE_MAX + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			free(buf);
			return (int)n;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > WC_FILE_MAX) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* What slurp's error means, in words. */
static const char *slurp_error(int r)
{
	if (r == -EFBIG)
		return "larger than 1 MiB";
	if (r == -ESPIPE)
		return "not a regular file (a FIFO or device is not read: "
		       "it could keep the exporter from starting)";
	return strerror(-r);
}

/* A path from the file, relative to the file's directory. */
static char *resolve(const char *cfg, const char *p)
{
	const char *slash = strrchr(cfg, '/');
	size_t dlen = slash ? (size_t)(slash - cfg) + 1 : 0;
	size_t len = dlen + strlen(p) + 1;
	char *out;

	if (p[0] == '/' || dlen == 0)
		return strdup(p);
	out = malloc(len);
	if (out)
		snprintf(out, len, "%.*s%s", (int)dlen, cfg, p);
	return out;
}

#define BAD(node, ...)                                           \
	do {                                                     \
		char m_[256];                                    \
		snprintf(m_, sizeof(m_), __VA_ARGS__);           \
		tl_err("serve: %s, line %zu: %s", path,          \
		       (size_t)(node)->start_mark.line + 1, m_); \
		return -EINVAL;                                  \
	} while (0)

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

/*
 * min_version or max_version, as exporter-toolkit spells them. Only TLS
 * 1.2 and 1.3 are served: a config that asks for older ones is refused,
 * not quietly made stricter than it says.
 */
static int tls_version(yaml_node_t *k, yaml_node_t *v, const char *key,
		       const char *val, const char *path, int *dst)
{
	if (*dst)
		BAD(k, "%s given twice", key);
	if (val && strcmp(val, "TLS12") == 0)
		*dst = 12;
	else if (val && strcmp(val, "TLS13") == 0)
		*dst = 13;
	else if (val &&
		 (strcmp(val, "TLS10") == 0 || strcmp(val, "TLS11") == 0))
		BAD(v,
		    "%s %s: tcplimbo serves TLS 1.2 and 1.3 only (TLS12 or TLS13)",
		    key, val);
	else
		BAD(v, "%s must be TLS12 or TLS13", key);
	return 0;
}

static int parse_tls(yaml_document_t *doc, yaml_node_t *map, const char *path,
		     struct webconfig *wc)
{
	yaml_node_pair_t *pr;

	if (map->type != YAML_MAPPING_NODE)
		BAD(map, "tls_server_config must be a mapping");
	for (pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		const char *key = scalar(k), *val = scalar(v);
		char **dst;

		if (!key)
			BAD(k, "a key must be a plain name");
		if (strcmp(key, "min_version") == 0 ||
		    strcmp(key, "max_version") == 0) {
			bool min = strcmp(key, "min_version") == 0;
			int r = tls_version(k, v, key, val, path,
					    min ? &wc->tls_min : &wc->tls_max);

			if (r < 0)
				return r;
			continue;
		}
		if (strcmp(key, "cert_file") == 0)
			dst = &wc->cert_file;
		else if (strcmp(key, "key_file") == 0)
			dst = &wc->key_file;
		else
			BAD(k,
			    "tls_server_config: '%.64s' is not supported (only cert_file, key_file, min_version and max_version)",
			    key);
		if (!val || !val[0])
			BAD(v, "%s must be a file name", key);
		if (*dst)
			BAD(k, "%s given twice", key);
		*dst = resolve(path, val);
		if (!*dst)
			return -ENOMEM;
	}
	if (!wc->cert_file != !wc->key_file)
		BAD(map, "tls_server_config needs both cert_file and key_file");
	if (wc->tls_min && wc->tls_max && wc->tls_min > wc->tls_max)
		BAD(map, "min_version TLS%d is above max_version TLS%d",
		    wc->tls_min, wc->tls_max);
	return 0;
}

/*
 * A bcrypt hash: $2a$, $2b$ or $2y$, a cost of 04 to 31 (what bcrypt
 * takes: crypt fails any other, and every login with it), a '$', and 53
 * characters of bcrypt's base 64.
 */
static bool bcrypt_hash(const char *h)
{
	int cost;

	if (strlen(h) != 60 ||
	    !(strncmp(h, "$2a$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	      strncmp(h, "$2y$", 4) == 0) ||
	    h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	return strspn(h + 7, "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
			     "tuvwxyz0123456789") == 53;
}

static int parse_users(yaml_document_t *doc, yaml_node_t *map, const char *path,
		       struct webconfig *wc)
{
	yaml_node_pair_t *pr;

	if (map->type != YAML_MAPPING_NODE)
		BAD(map,
		    "basic_auth_users must be a mapping of names to bcrypt hashes");
	for (pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		const char *key = scalar(k), *val = scalar(v);
		struct wc_user *nu;

		if (!key || !key[0] || strlen(key) > WC_NAME_MAX ||
		    strchr(key, ':'))
			BAD(k,
			    "a user name must be 1-%d characters without ':'",
			    WC_NAME_MAX);
		if (!val || !bcrypt_hash(val))
			BAD(v,
			    "the password of '%.64s' must be a bcrypt hash ($2a$, $2b$ or $2y$, a cost of 04 to 31, 60 characters)",
			    key);
		for (size_t i = 0; i < wc->n_users; i++)
			if (strcmp(wc->users[i].name, key) == 0)
				BAD(k, "user '%.64s' given twice", key);
		if (wc->n_users >= WC_USERS_MAX)
			BAD(k, "more than %d users", WC_USERS_MAX);
		nu = realloc(wc->users, (wc->n_users + 1) * sizeof(*nu));
		if (!nu)
			return -ENOMEM;
		wc->users = nu;
		nu[wc->n_users].name = strdup(key);
		nu[wc->n_users].hash = strdup(val);
		wc->n_users++;
		if (!nu[wc->n_users - 1].name || !nu[wc->n_users - 1].hash)
			return -ENOMEM;
	}
	return 0;
}

static int parse_doc(yaml_document_t *doc, const char *path,
		     struct webconfig *wc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	yaml_node_pair_t *pr;
	int r;

	/* An empty file asks for nothing, as in the exporter-toolkit. */
	if (!root ||
	    (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		BAD(root,
		    "the file must be a mapping (tls_server_config:, basic_auth_users:)");
	for (pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		const char *key = scalar(k);

		if (!key)
			BAD(k, "a key must be a plain name");
		if (strcmp(key, "tls_server_config") == 0)
			r = parse_tls(doc, v, path, wc);
		else if (strcmp(key, "basic_auth_users") == 0)
			r = parse_users(doc, v, path, wc);
		else
			BAD(k,
			    "'%.64s' is not supported (only tls_server_config and basic_auth_users)",
			    key);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_tls(const char *path, struct webconfig *wc)
{
	size_t len;
	int r;

	if (!wc->cert_file)
		return 0;
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		tl_err("serve: %s asks for TLS, but this libmicrohttpd was built without it",
		       path);
		return -ENOTSUP;
	}
	r = slurp(wc->cert_file, &wc->cert, &len);
	if (r < 0) {
		tl_err("serve: cert_file '%s': %s", wc->cert_file,
		       slurp_error(r));
		return r;
	}
	/* Else TLS fails only as the server starts, as a listen failure. */
	if (!strstr(wc->cert, "-----BEGIN CERTIFICATE-----") &&
	    !strstr(wc->cert, "-----BEGIN TRUSTED CERTIFICATE-----")) {
		tl_err("serve: cert_file '%s': not a PEM certificate (no "
		       "-----BEGIN CERTIFICATE----- line)",
		       wc->cert_file);
		return -EINVAL;
	}
	r = slurp(wc->key_file, &wc->key, &len);
	if (r < 0) {
		tl_err("serve: key_file '%s': %s", wc->key_file,
		       slurp_error(r));
		return r;
	}
	if (!strstr(wc->key, "-----BEGIN ") ||
	    !strstr(wc->key, "PRIVATE KEY-----")) {
		tl_err("serve: key_file '%s': not a PEM private key (no "
		       "-----BEGIN ... PRIVATE KEY----- line)",
		       wc->key_file);
		return -EINVAL;
	}
	return 0;
}

/*
 * The deepest a web config nests: tls_server_config, client_allowed_sans
 * and its list are 3 levels; deeper is no web config.
 */
#define WC_DEPTH_MAX 16

/*
 * The line of the first collection nested deeper than WC_DEPTH_MAX, or 0
 * (none, or text libyaml cannot parse, which the load then tells). Read
 * as events, stopping there: composing a document of deep nesting costs
 * libyaml time that grows faster than the file, minutes for a 1 MiB one.
 */
static size_t too_deep(const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t depth = 0, line = 0;

	if (!yaml_parser_initialize(&parser))
		return 0;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!line && yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t type = ev.type;

		if (type == YAML_SEQUENCE_START_EVENT ||
		    type == YAML_MAPPING_START_EVENT) {
			if (++depth > WC_DEPTH_MAX)
				line = (size_t)ev.start_mark.line + 1;
		} else if (type == YAML_SEQUENCE_END_EVENT ||
			   type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return line;
}

int webconfig_parse(const char *text, size_t len, const char *path,
		    bool read_files, struct webconfig **ret)
{
	struct webconfig *wc = calloc(1, sizeof(*wc));
	yaml_parser_t parser;
	yaml_document_t doc;
	size_t deep;
	int r;

	if (!wc)
		return -ENOMEM;
	deep = too_deep(text, len);
	if (deep) {
		tl_err("serve: %s, line %zu: nested deeper than %d levels, "
		       "which no web config is",
		       path, deep, WC_DEPTH_MAX);
		free(wc);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(wc);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		char ctx[128] = "";
		size_t line = (size_t)parser.problem_mark.line + 1;

		/*
		 * The reader (bad bytes, a control character) gives an
		 * offset, not a mark: count the lines up to it.
		 */
		if (parser.error == YAML_READER_ERROR) {
			line = 1;
			for (size_t i = 0; i < len && i < parser.problem_offset;
			     i++)
				line += text[i] == '\n';
		}
		/* Where it failed may be the end; where it began helps too. */
		if (parser.context)
			snprintf(ctx, sizeof(ctx), " (%s, from line %zu)",
				 parser.context,
				 (size_t)parser.context_mark.line + 1);
		tl_err("serve: %s, line %zu: not valid YAML: %s%s", path, line,
		       parser.problem ? parser.problem : "cannot parse", ctx);
		yaml_parser_delete(&parser);
		free(wc);
		return -EINVAL;
	}
	r = parse_doc(&doc, path, wc);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r == 0 && read_files)
		r = read_tls(path, wc);
	if (r < 0) {
		if (r == -ENOMEM)
			tl_err("serve: %s: out of memory", path);
		webconfig_free(wc);
		return r;
	}
	*ret = wc;
	return 0;
}

int webconfig_load(const char *path, struct webconfig **ret)
{
	char *text;
	size_t len;
	int r = slurp(path, &text, &len);

	if (r < 0) {
		tl_err("serve: --web-config '%s': %s", path, slurp_error(r));
		return r;
	}
	r = webconfig_parse(text, len, path, true, ret);
	free(text);
	return r;
}

/* Compares without stopping at the first difference. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

bool webconfig_check(const struct webconfig *wc, const char *user,
		     const char *pass)
{
	const struct wc_user *u = NULL;
	struct crypt_data *cd;
	const char *h;
	bool ok = false;

	if (wc->n_users == 0)
		return true;
	if (!user || !pass)
		return false;
	for (size_t i = 0; i < wc->n_users; i++)
		if (strcmp(wc->users[i].name, user) == 0)
			u = &wc->users[i];
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	/*
	 * An unknown name costs a bcrypt too, so timing does not tell.
	 * crypt_rn, not crypt_r: it returns NULL rather than a "*" string on
	 * failure, and ASan's crypt_r interceptor crashes with libxcrypt.
	 */
	h = crypt_rn(pass, u ? u->hash : wc->users[0].hash, cd, sizeof(*cd));
	if (u && h && h[0] != '*')
		ok = same(h, u->hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool webconfig_auth_ok(const struct webconfig *wc, struct MHD_Connection *c)
{
	char *pass = NULL, *user;
	bool ok;

	if (wc->n_users == 0)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = webconfig_check(wc, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}
