// SPDX-License-Identifier: GPL-2.0
/* Parsers and editors for setup/doctor's files; see cfgparse.h.  No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgparse.h"

/* A growing string; on allocation failure it sets oom and stops. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* The string, or NULL (and freed) on allocation failure. */
static char *sb_done(struct sbuf *b)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	if (!b->s)
		sb_add(b, "", 0);
	return b->oom ? NULL : b->s;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* ---- ID and address lists ---- */

/*
 * Split s at commas; call parse(element) for each into a scratch buffer.
 * Elements longer than the buffer are malformed by definition.
 */
static int list_split(const char *s, size_t max, size_t *n, const char **bad,
		      int (*parse)(const char *elem, size_t i, void *arg),
		      void *arg)
{
	const char *p = s;
	char elem[32];

	*n = 0;
	if (bad)
		*bad = s;
	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		size_t len = strcspn(p, ",");
		int err;

		if (bad)
			*bad = p;
		if (!len || len >= sizeof(elem))
			return -EINVAL;
		memcpy(elem, p, len);
		elem[len] = 0;
		err = parse(elem, *n, arg);
		if (err < 0)
			return err;
		if (err == 0) {	/* 1 means duplicate, skipped */
			if (*n == max)
				return -E2BIG;
			(*n)++;
		}
		p += len;
		if (!*p)
			break;
		p++;
	}
	return 0;
}

struct idlist_ctx {
	struct pci_id *ids;
	size_t max;
};

static int idlist_one(const char *elem, size_t i, void *arg)
{
	struct idlist_ctx *c = arg;
	struct pci_id id;
	size_t j;

	if (id_parse(elem, &id.vendor, &id.device))
		return -EINVAL;
	for (j = 0; j < i; j++)
		if (c->ids[j].vendor == id.vendor &&
		    c->ids[j].device == id.device)
			return 1;
	if (i < c->max)
		c->ids[i] = id;
	return 0;
}

int idlist_parse(const char *s, struct pci_id *ids, size_t max, size_t *n,
		 const char **bad)
{
	struct idlist_ctx c = { ids, max };

	return list_split(s, max, n, bad, idlist_one, &c);
}

struct addrlist_ctx {
	struct gpupt_addr *addrs;
	size_t max;
};

static int addrlist_one(const char *elem, size_t i, void *arg)
{
	struct addrlist_ctx *c = arg;
	struct gpupt_addr a;
	size_t j;

	if (addr_parse(elem, &a))
		return -EINVAL;
	for (j = 0; j < i; j++)
		if (addr_equal(&c->addrs[j], &a))
			return 1;
	if (i < c->max)
		c->addrs[i] = a;
	return 0;
}

int addrlist_parse(const char *s, struct gpupt_addr *addrs, size_t max,
		   size_t *n, const char **bad)
{
	struct addrlist_ctx c = { addrs, max };

	return list_split(s, max, n, bad, addrlist_one, &c);
}

char *idlist_format(const struct pci_id *ids, size_t n)
{
	struct sbuf b = { 0 };
	char one[16];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(one, sizeof(one), "%s%04x:%04x", i ? "," : "",
			 ids[i].vendor, ids[i].device);
		sb_str(&b, one);
	}
	return sb_done(&b);
}

char *addrlist_format(const struct gpupt_addr *addrs, size_t n)
{
	char one[GPUPT_ADDR_STRLEN];
	struct sbuf b = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			sb_str(&b, ",");
		addr_format(&addrs[i], one);
		sb_str(&b, one);
	}
	return sb_done(&b);
}

/* ---- kernel command line ---- */

int cmdline_foreach(const char *s, cmdline_cb cb, void *arg)
{
	const char *p = s;

	if (!s)
		return 0;
	for (;;) {
		const char *w, *key, *val = NULL;
		size_t i, klen, vlen = 0, eq = 0;
		bool in_quote = false, quoted = false;
		int ret;

		while (is_space(*p))
			p++;
		if (!*p)
			return 0;
		w = p;
		if (*w == '"') {
			w++;
			in_quote = quoted = true;
		}
		for (i = 0; w[i]; i++) {
			if (is_space(w[i]) && !in_quote)
				break;
			if (!eq && w[i] == '=')
				eq = i + 1;	/* 1-based: 0 means none */
			if (w[i] == '"')
				in_quote = !in_quote;
		}
		key = w;
		if (eq) {
			klen = eq - 1;
			val = w + eq;
			vlen = i - eq;
			if (vlen && *val == '"') {
				val++;
				vlen--;
				if (vlen && val[vlen - 1] == '"')
					vlen--;
			} else if (quoted && vlen && val[vlen - 1] == '"') {
				vlen--;
			}
		} else {
			klen = i;
			if (quoted && klen && key[klen - 1] == '"')
				klen--;
		}
		ret = cb(key, klen, val, vlen, arg);
		if (ret)
			return ret;
		p = w + i;
	}
}

bool param_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++) {
		char x = a[i] == '-' ? '_' : a[i];
		char y = b[i] == '-' ? '_' : b[i];

		if (x != y)
			return false;
	}
	return true;
}

static bool param_eq(const char *a, size_t alen, const char *b)
{
	return param_name_eq(a, alen, b, strlen(b));
}

struct cmdline_get_ctx {
	const char *key;
	char *val;
	size_t len;
	int found;
};

static int cmdline_get_one(const char *key, size_t klen, const char *val,
			   size_t vlen, void *arg)
{
	struct cmdline_get_ctx *c = arg;

	if (!param_eq(key, klen, c->key))
		return 0;
	c->found = 1;
	if (c->len) {
		size_t n = vlen < c->len - 1 ? vlen : c->len - 1;

		if (val)
			memcpy(c->val, val, n);
		else
			n = 0;
		c->val[n] = 0;
	}
	return 0;
}

int cmdline_get(const char *s, const char *key, char *val, size_t len)
{
	struct cmdline_get_ctx c = { key, val, len, 0 };

	cmdline_foreach(s, cmdline_get_one, &c);
	return c.found;
}

/* ---- /etc/default/grub ---- */

#define GRUB_KEY "GRUB_CMDLINE_LINUX"

/*
 * Find the last "GRUB_CMDLINE_LINUX=" assignment at the start of a line
 * (after blanks and an optional "export ").  vstart and vend delimit the
 * value as written (with its quotes).  Returns false if there is none.
 */
static bool grub_find(const char *text, size_t *vstart, size_t *vend,
		      const char **why)
{
	const char *p = text;
	bool found = false;

	*why = NULL;
	while (*p) {
		const char *l = p, *q = p, *v;
		size_t n = strcspn(p, "\n");

		p += n;
		if (*p)
			p++;
		while (q < l + n && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(l + n - q) > 7 && !strncmp(q, "export", 6) &&
		    (q[6] == ' ' || q[6] == '\t')) {
			q += 7;
			while (q < l + n && (*q == ' ' || *q == '\t'))
				q++;
		}
		if ((size_t)(l + n - q) <= strlen(GRUB_KEY) ||
		    strncmp(q, GRUB_KEY "=", strlen(GRUB_KEY) + 1))
			continue;
		v = q + strlen(GRUB_KEY) + 1;
		*vstart = (size_t)(v - text);
		*why = NULL;
		if (*v == '"' || *v == '\'') {
			const char *e = memchr(v + 1, *v, (size_t)(l + n - v - 1));

			if (!e) {
				*why = "unterminated quote (a value spread over several lines)";
				*vend = (size_t)(l + n - text);
			} else {
				*vend = (size_t)(e + 1 - text);
			}
		} else {
			const char *e = v;

			while (e < l + n && !is_space(*e) && *e != '#' && *e != ';')
				e++;
			*vend = (size_t)(e - text);
		}
		found = true;
	}
	return found;
}

/* Length of the key of a word ("a=b" -> 1, "quiet" -> 5). */
static size_t word_key_len(const char *w, size_t n)
{
	const char *eq = memchr(w, '=', n);

	return eq ? (size_t)(eq - w) : n;
}

static bool word_same_key(const char *a, size_t alen, const char *b,
			  size_t blen)
{
	return param_name_eq(a, word_key_len(a, alen), b, word_key_len(b, blen));
}

/* Is the new word (w, n) one of `words`?  Returns its index or -1. */
static int words_find_key(const char *words, const char *w, size_t n)
{
	const char *p = words;
	int i = 0;

	for (;;) {
		size_t len;

		while (is_space(*p))
			p++;
		if (!*p)
			return -1;
		len = strcspn(p, " \t\n");
		if (word_same_key(p, len, w, n))
			return i;
		p += len;
		i++;
	}
}

static void words_nth(const char *words, int idx, const char **w, size_t *n)
{
	const char *p = words;
	int i = 0;

	for (;;) {
		size_t len;

		while (is_space(*p))
			p++;
		len = strcspn(p, " \t\n");
		if (i == idx || !*p) {
			*w = p;
			*n = len;
			return;
		}
		p += len;
		i++;
	}
}

/* How many space-separated words @words has; -EINVAL for shell syntax. */
static int words_count(const char *words, size_t *nwords, const char **why)
{
	const char *p;

	*nwords = 0;
	for (p = words; *p; p += strcspn(p, " \t\n")) {
		while (is_space(*p))
			p++;
		if (*p)
			(*nwords)++;
	}
	for (p = words; *p; p++)
		if (*p == '"' || *p == '\'' || *p == '$' || *p == '`' ||
		    *p == '\\') {
			*why = "the new words contain shell syntax";
			return -EINVAL;
		}
	return 0;
}

/*
 * A command line (@val, @vlen bytes) with every word of @words set, into
 * @v: each existing word whose key one of @words has is replaced by it (a
 * later duplicate of that key dropped), the others kept in order, and the
 * words not used yet appended.  0 or -ENOMEM.
 */
static int words_merge(const char *val, size_t vlen, const char *words,
		       size_t nwords, struct sbuf *v)
{
	const char *p, *w;
	size_t i, n;
	bool *used;

	used = calloc(nwords + 1, sizeof(*used));
	if (!used)
		return -ENOMEM;
	for (p = val; p < val + vlen;) {
		int idx;

		while (p < val + vlen && is_space(*p))
			p++;
		if (p >= val + vlen)
			break;
		n = 0;
		while (p + n < val + vlen && !is_space(p[n]))
			n++;
		idx = words_find_key(words, p, n);
		if (idx < 0) {
			if (v->len)
				sb_str(v, " ");
			sb_add(v, p, n);
		} else if (!used[idx]) {
			used[idx] = true;
			words_nth(words, idx, &w, &i);
			if (v->len)
				sb_str(v, " ");
			sb_add(v, w, i);
		}	/* else: a later duplicate of a replaced key, dropped */
		p += n;
	}
	for (i = 0; i < nwords; i++) {
		size_t wl;

		if (used[i])
			continue;
		words_nth(words, (int)i, &w, &wl);
		/* A key repeated within `words`: only its first use counts. */
		if (words_find_key(words, w, wl) != (int)i)
			continue;
		if (v->len)
			sb_str(v, " ");
		sb_add(v, w, wl);
	}
	free(used);
	return 0;
}

int grub_set_cmdline(const char *text, const char *words, char **out,
		     const char **why)
{
	size_t vs = 0, ve = 0, i, nwords;
	struct sbuf b = { 0 }, v = { 0 };
	const char *val;
	size_t vlen;
	bool have;
	int err;

	*out = NULL;
	*why = NULL;
	err = words_count(words, &nwords, why);
	if (err)
		return err;
	have = grub_find(text, &vs, &ve, why);
	if (have && *why)
		return -EINVAL;
	val = text + vs;
	vlen = have ? ve - vs : 0;
	if (have && vlen && (*val == '"' || *val == '\'')) {
		val++;
		vlen -= 2;
	}
	/* Rewritten in double quotes: refuse whatever would change meaning. */
	for (i = 0; i < vlen; i++)
		if (val[i] == '$' || val[i] == '`' || val[i] == '\\' ||
		    val[i] == '"' || val[i] == '\'') {
			*why = "GRUB_CMDLINE_LINUX uses $, `, \\ or quotes; edit it by hand";
			return -EINVAL;
		}
	if (words_merge(val, vlen, words, nwords, &v))
		return -ENOMEM;

	if (have) {
		sb_add(&b, text, vs);
		sb_str(&b, "\"");
		if (v.s)
			sb_str(&b, v.s);
		sb_str(&b, "\"");
		sb_str(&b, text + ve);
	} else {
		sb_str(&b, text);
		if (b.len && b.s[b.len - 1] != '\n')
			sb_str(&b, "\n");
		sb_str(&b, GRUB_KEY "=\"");
		if (v.s)
			sb_str(&b, v.s);
		sb_str(&b, "\"\n");
	}
	free(sb_done(&v));
	if (b.oom || v.oom) {
		free(b.s);
		return -ENOMEM;
	}
	*out = sb_done(&b);
	return *out ? 0 : -ENOMEM;
}

int kcmdline_set(const char *text, const char *words, char **out,
		 const char **why)
{
	size_t nwords, n = strcspn(text, "\n");
	struct sbuf v = { 0 };
	int err;

	*out = NULL;
	*why = NULL;
	err = words_count(words, &nwords, why);
	if (err)
		return err;
	for (const char *p = text + n; *p; p++)
		if (!is_space(*p) && *p != '\n') {
			*why = "it has more than one line; edit it by hand";
			return -EINVAL;
		}
	if (words_merge(text, n, words, nwords, &v))
		return -ENOMEM;
	sb_str(&v, "\n");
	*out = sb_done(&v);
	return *out ? 0 : -ENOMEM;
}

/*
 * One line of /etc/default/grub: is it "[export ]VAR=..." for one of the
 * command line variables?  *var gets the name, *vs and *ve the value as
 * written (with its quotes, if any).
 */
static bool grub_cmdline_assignment(const char *l, size_t n, const char **var,
				    size_t *vs, size_t *ve)
{
	static const char *const vars[] = {
		"GRUB_CMDLINE_LINUX_DEFAULT", GRUB_KEY, NULL,
	};
	const char *q = l, *v, *e;
	int i;

	while (q < l + n && (*q == ' ' || *q == '\t'))
		q++;
	if ((size_t)(l + n - q) > 7 && !strncmp(q, "export", 6) &&
	    (q[6] == ' ' || q[6] == '\t')) {
		q += 7;
		while (q < l + n && (*q == ' ' || *q == '\t'))
			q++;
	}
	for (i = 0; vars[i]; i++) {
		size_t k = strlen(vars[i]);

		if ((size_t)(l + n - q) > k && !strncmp(q, vars[i], k) &&
		    q[k] == '=')
			break;
	}
	if (!vars[i])
		return false;
	*var = vars[i];
	v = q + strlen(vars[i]) + 1;
	if (v < l + n && (*v == '"' || *v == '\'')) {
		e = memchr(v + 1, *v, (size_t)(l + n - v - 1));
		if (!e)
			return false;	/* spread over lines: not ours to edit */
		e++;
	} else {
		for (e = v; e < l + n && !is_space(*e) && *e != '#' && *e != ';'; e++)
			;
	}
	*vs = (size_t)(v - l);
	*ve = (size_t)(e - l);
	return true;
}

int grub_fix_words(const char *text, grub_word_fix fix, void *arg, char **out)
{
	struct sbuf b = { 0 };
	const char *p = text;
	char buf[1100];

	*out = NULL;
	while (*p) {
		const char *l = p, *var, *val, *w;
		size_t n = strcspn(p, "\n"), vs, ve, vlen, i, k;
		struct sbuf v = { 0 };
		bool changed = false, quoted;

		p += n;
		if (*p)
			p++;
		if (!grub_cmdline_assignment(l, n, &var, &vs, &ve)) {
			sb_add(&b, l, (size_t)(p - l));
			continue;
		}
		val = l + vs;
		vlen = ve - vs;
		quoted = vlen >= 2 && (*val == '"' || *val == '\'');
		if (quoted) {
			val++;
			vlen -= 2;
		}
		/* Shell syntax could hide or build words: leave it alone. */
		for (i = 0; i < vlen; i++)
			if (val[i] == '$' || val[i] == '`' || val[i] == '\\' ||
			    val[i] == '"' || val[i] == '\'')
				break;
		if (i < vlen) {
			sb_add(&b, l, (size_t)(p - l));
			continue;
		}
		for (w = val; w < val + vlen; w += k) {
			int r;

			while (w < val + vlen && is_space(*w))
				w++;
			for (k = 0; w + k < val + vlen && !is_space(w[k]); k++)
				;
			if (!k)
				break;
			buf[0] = 0;
			r = fix(var, w, k, buf, sizeof(buf), arg);
			if (r) {
				changed = true;
				if (!*buf)
					continue;
			}
			if (v.len)
				sb_str(&v, " ");
			if (r)
				sb_str(&v, buf);
			else
				sb_add(&v, w, k);
		}
		if (!changed) {
			free(sb_done(&v));
			sb_add(&b, l, (size_t)(p - l));
			continue;
		}
		sb_add(&b, l, vs);
		sb_str(&b, "\"");
		if (v.len)
			sb_add(&b, v.s, v.len);
		sb_str(&b, "\"");
		sb_add(&b, l + ve, (size_t)(p - l) - ve);
		if (v.oom)
			b.oom = true;
		free(sb_done(&v));
	}
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	sb_add(&b, "", 0);
	*out = sb_done(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- modprobe.d ---- */

int modprobe_foreach(const char *text, modprobe_cb cb, void *arg)
{
	const char *p = text;
	struct sbuf l = { 0 };
	int ret = 0;

	while (*p && !ret) {
		char *s, *cmd, *mod, *rest, *e;
		size_t n;

		/* One logical line: join "\\\n" continuations. */
		l.len = 0;
		sb_add(&l, "", 0);
		for (;;) {
			n = strcspn(p, "\n");
			if (n && p[n - 1] == '\\' && p[n] == '\n') {
				sb_add(&l, p, n - 1);
				sb_str(&l, " ");
				p += n + 1;
				continue;
			}
			sb_add(&l, p, n);
			p += n;
			if (*p)
				p++;
			break;
		}
		if (l.oom) {
			ret = -ENOMEM;
			break;
		}
		s = l.s;
		while (is_space(*s))
			s++;
		if (*s == '#' || !*s)
			continue;
		cmd = s;
		while (*s && !is_space(*s))
			s++;
		if (!*s)
			continue;
		*s++ = 0;
		while (is_space(*s))
			s++;
		mod = s;
		while (*s && !is_space(*s))
			s++;
		if (*s)
			*s++ = 0;
		if (!*mod)
			continue;
		while (is_space(*s))
			s++;
		rest = s;
		e = rest + strlen(rest);
		while (e > rest && is_space(e[-1]))
			*--e = 0;
		ret = cb(cmd, mod, rest, arg);
	}
	free(l.s);
	return ret;
}

/* Module names: '-' and '_' are the same to modprobe. */
static bool mod_eq(const char *a, const char *b)
{
	return param_eq(a, strlen(a), b);
}

struct mp_opt_ctx {
	const char *module, *key;
	char *val;
	size_t len;
	int found;
};

static int mp_opt_one(const char *cmd, const char *module, const char *rest,
		      void *arg)
{
	struct mp_opt_ctx *c = arg;
	char v[1024];

	if (strcmp(cmd, "options") || !mod_eq(module, c->module))
		return 0;
	/* Options are kernel-style words: reuse the command-line parser. */
	if (cmdline_get(rest, c->key, v, sizeof(v))) {
		c->found = 1;
		if (c->len)
			snprintf(c->val, c->len, "%s", v);
	}
	return 0;
}

int modprobe_option(const char *text, const char *module, const char *key,
		    char *val, size_t len)
{
	struct mp_opt_ctx c = { module, key, val, len, 0 };

	if (modprobe_foreach(text, mp_opt_one, &c) < 0)
		return 0;
	return c.found;
}

struct mp_dep_ctx {
	const char *module, *dep;
	bool found;
};

bool softdep_has_pre(const char *rest, const char *dep)
{
	const char *p = rest;
	bool pre = false;

	while (*p) {
		size_t n;
		char w[128];

		while (is_space(*p))
			p++;
		n = strcspn(p, " \t");
		if (!n)
			break;
		if (n < sizeof(w)) {
			memcpy(w, p, n);
			w[n] = 0;
			if (!strcmp(w, "pre:"))
				pre = true;
			else if (!strcmp(w, "post:"))
				pre = false;
			else if (pre && mod_eq(w, dep))
				return true;
		}
		p += n;
	}
	return false;
}

static int mp_softdep_one(const char *cmd, const char *module,
			  const char *rest, void *arg)
{
	struct mp_dep_ctx *c = arg;

	if (!strcmp(cmd, "softdep") && mod_eq(module, c->module) &&
	    softdep_has_pre(rest, c->dep))
		c->found = true;
	return 0;
}

bool modprobe_softdep_pre(const char *text, const char *module,
			  const char *dep)
{
	struct mp_dep_ctx c = { module, dep, false };

	modprobe_foreach(text, mp_softdep_one, &c);
	return c.found;
}

static int mp_blacklist_one(const char *cmd, const char *module,
			    const char *rest, void *arg)
{
	struct mp_dep_ctx *c = arg;

	(void)rest;
	if (!strcmp(cmd, "blacklist") && mod_eq(module, c->module))
		c->found = true;
	return 0;
}

bool modprobe_blacklisted(const char *text, const char *module)
{
	struct mp_dep_ctx c = { module, NULL, false };

	modprobe_foreach(text, mp_blacklist_one, &c);
	return c.found;
}

/* ---- initramfs-tools modules list ---- */

bool modules_list_has(const char *text, const char *mod)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n"), k;
		const char *q = p;

		while (q < p + n && is_space(*q))
			q++;
		k = 0;
		while (q + k < p + n && !is_space(q[k]) && q[k] != '#')
			k++;
		if (k && *q != '#' && k == strlen(mod) && param_eq(q, k, mod))
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

char *modules_list_add(const char *text, const char *mod)
{
	struct sbuf b = { 0 };

	sb_str(&b, text);
	if (!modules_list_has(text, mod)) {
		if (b.len && b.s[b.len - 1] != '\n')
			sb_str(&b, "\n");
		sb_str(&b, mod);
		sb_str(&b, "\n");
	}
	return sb_done(&b);
}

/* ---- /proc/iomem ---- */

int iomem_find(const char *text, uint64_t start, uint64_t end,
	       const char *const *names, char *buf, size_t len)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n"), i;
		unsigned long long s, e;
		char name[128];
		int pos = 0;

		if (n < 256) {
			char line[256];

			memcpy(line, p, n);
			line[n] = 0;
			if (sscanf(line, " %llx-%llx : %n", &s, &e, &pos) == 2 &&
			    pos && s <= end && e >= start && s <= e) {
				snprintf(name, sizeof(name), "%s", line + pos);
				for (i = 0; names[i]; i++)
					if (!strcmp(name, names[i])) {
						snprintf(buf, len, "%s", name);
						return 1;
					}
			}
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}
