// SPDX-License-Identifier: GPL-2.0
/*
 * The libvirt domain XML fields the hooks need (see domxml.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domxml.h"

static void say(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (n = n->children; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* The element's text, trimmed, into buf ("" when none or too long). */
static void text_of(const xmlNode *n, char *buf, size_t len)
{
	xmlChar *s = n ? xmlNodeGetContent(n) : NULL;
	const char *p = (const char *)s;
	size_t l;

	buf[0] = '\0';
	if (!s)
		return;
	p += strspn(p, " \t\r\n");
	l = strlen(p);
	while (l && strchr(" \t\r\n", p[l - 1]))
		l--;
	if (l < len) {
		memcpy(buf, p, l);
		buf[l] = '\0';
	}
	xmlFree(s);
}

/* Is attribute @name of @n equal to @val?  (missing: false) */
static bool attr_is(const xmlNode *n, const char *name, const char *val)
{
	xmlChar *s = xmlGetProp(n, BAD_CAST name);
	bool eq = s && !strcmp((const char *)s, val);

	xmlFree(s);
	return eq;
}

/*
 * libvirt's address numbers: "0x1f", "31" or "037" (strtoul base 0), up to
 * @max.  0 or -EINVAL.
 */
static int attr_num(const xmlNode *n, const char *name, unsigned long max,
		    unsigned long *v)
{
	xmlChar *s = xmlGetProp(n, BAD_CAST name);
	const char *p = (const char *)s;
	char *end;
	int ret = -EINVAL;

	if (!s)
		return -EINVAL;
	if (*p >= '0' && *p <= '9') {
		errno = 0;
		*v = strtoul(p, &end, 0);
		if (!errno && !*end && *v <= max)
			ret = 0;
	}
	xmlFree(s);
	return ret;
}

static int hostdev_addr(const xmlNode *hd, struct gpupt_addr *a, char *err,
			size_t errlen, size_t index)
{
	const xmlNode *src = child(hd, "source"), *ad;
	unsigned long dom, bus, slot, fn;

	ad = src ? child(src, "address") : NULL;
	if (!ad) {
		say(err, errlen, "PCI hostdev %zu has no <source><address>", index + 1);
		return -EINVAL;
	}
	if (attr_num(ad, "domain", 0xffffffffUL, &dom))
		dom = 0;	/* libvirt's default when the attribute is missing */
	if (attr_num(ad, "bus", 0xff, &bus) || attr_num(ad, "slot", 0x1f, &slot) ||
	    attr_num(ad, "function", 7, &fn)) {
		say(err, errlen, "PCI hostdev %zu: bad or missing bus/slot/function in <source><address>",
		    index + 1);
		return -EINVAL;
	}
	a->domain = (uint32_t)dom;
	a->bus = (uint8_t)bus;
	a->devfn = (uint8_t)(slot << 3 | fn);
	return 0;
}

static xmlDoc *read_doc(const char *xml, size_t len, char *err, size_t errlen)
{
	xmlDoc *doc;

	if (len > DOMXML_MAX_BYTES) {
		say(err, errlen, "domain XML larger than %u bytes", DOMXML_MAX_BYTES);
		return NULL;
	}
	/* No XML_PARSE_NOENT (entities stay unexpanded), no DTD, no network. */
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		say(err, errlen, "not well-formed XML%s%s", e && e->message ? ": " : "",
		    e && e->message ? e->message : "");
		/* libxml2 messages end with a newline */
		if (errlen && strlen(err) && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
		return NULL;
	}
	if (!xmlDocGetRootElement(doc) || !is_elem(xmlDocGetRootElement(doc), "domain")) {
		say(err, errlen, "the root element is not <domain>");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* An attribute as an int (base 0), or -1 when missing or bad. */
static int attr_int(const xmlNode *n, const char *name, unsigned long max)
{
	unsigned long v;

	return n && !attr_num(n, name, max, &v) ? (int)v : -1;
}

/* The bus of the node's own <address type='pci'>, or -1. */
static int guest_bus(const xmlNode *n)
{
	const xmlNode *a = child(n, "address");

	return a && attr_is(a, "type", "pci") ? attr_int(a, "bus", 0xff) : -1;
}

int domxml_topo_parse(const char *xml, size_t len, struct domxml_topo *t,
		      char *err, size_t errlen)
{
	const xmlNode *root, *devs, *n, *c;
	xmlDoc *doc;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	doc = read_doc(xml, len, err, errlen);
	if (!doc)
		return len > DOMXML_MAX_BYTES ? -E2BIG : -EINVAL;
	root = xmlDocGetRootElement(doc);
	devs = child(root, "devices");
	for (n = devs ? devs->children : NULL; n; n = n->next) {
		if (is_elem(n, "controller") && attr_is(n, "type", "pci")) {
			struct domxml_ctrl *k = &t->ctrl[t->nctrl];
			const xmlNode *tg = child(n, "target");
			char node[16];
			int idx = attr_int(n, "index", 0xff);

			if (idx < 0 || t->nctrl == DOMXML_MAX_CTRL)
				continue;
			k->index = (unsigned int)idx;
			k->expander = attr_is(n, "model", "pcie-expander-bus") ||
				      attr_is(n, "model", "pci-expander-bus");
			k->bus = guest_bus(n);
			k->node = -1;
			text_of(tg ? child(tg, "node") : NULL, node, sizeof(node));
			if (node[0] >= '0' && node[0] <= '9' && strlen(node) < 6)
				k->node = atoi(node);
			t->nctrl++;
		} else if (is_elem(n, "hostdev") && attr_is(n, "type", "pci")) {
			if (t->nhd == DOMXML_MAX_DEVS) {
				say(err, errlen, "more than %d PCI hostdevs", DOMXML_MAX_DEVS);
				ret = -EINVAL;
				goto out;
			}
			ret = hostdev_addr(n, &t->hd[t->nhd].src, err, errlen, t->nhd);
			if (ret)
				goto out;
			t->hd[t->nhd].bus = guest_bus(n);
			t->nhd++;
		}
	}
	c = child(root, "cpu");
	c = c ? child(c, "numa") : NULL;
	for (n = c ? c->children : NULL; n; n = n->next) {
		xmlChar *cpus;
		int id;

		if (!is_elem(n, "cell") || t->ncell == DOMXML_MAX_CELLS)
			continue;
		id = attr_int(n, "id", 0xffff);
		cpus = xmlGetProp(n, BAD_CAST "cpus");
		if (id >= 0 && cpus && strlen((const char *)cpus) < DOMXML_LISTLEN) {
			t->cell[t->ncell].id = (unsigned int)id;
			strcpy(t->cell[t->ncell].cpus, (const char *)cpus);
			t->ncell++;
		}
		xmlFree(cpus);
	}
	c = child(root, "cputune");
	for (n = c ? c->children : NULL; n; n = n->next) {
		xmlChar *set;
		int v;

		if (!is_elem(n, "vcpupin") || t->npin == DOMXML_MAX_PINS)
			continue;
		v = attr_int(n, "vcpu", 0xffff);
		set = xmlGetProp(n, BAD_CAST "cpuset");
		if (v >= 0 && set && strlen((const char *)set) < DOMXML_LISTLEN) {
			t->pin[t->npin].vcpu = (unsigned int)v;
			strcpy(t->pin[t->npin].cpuset, (const char *)set);
			t->npin++;
		}
		xmlFree(set);
	}
out:
	xmlFreeDoc(doc);
	return ret;
}

int domxml_parse(const char *xml, size_t len, struct domxml *d,
		 char *err, size_t errlen)
{
	const xmlNode *root, *devs, *n;
	size_t index = 0;
	xmlDoc *doc;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	doc = read_doc(xml, len, err, errlen);
	if (!doc)
		return len > DOMXML_MAX_BYTES ? -E2BIG : -EINVAL;
	root = xmlDocGetRootElement(doc);
	text_of(child(root, "name"), d->name, sizeof(d->name));
	text_of(child(root, "uuid"), d->uuid, sizeof(d->uuid));
	devs = child(root, "devices");
	for (n = devs ? devs->children : NULL; n; n = n->next) {
		xmlChar *mode;
		bool subsys;

		if (!is_elem(n, "hostdev") || !attr_is(n, "type", "pci"))
			continue;
		mode = xmlGetProp(n, BAD_CAST "mode");
		subsys = !mode || !strcmp((const char *)mode, "subsystem");
		xmlFree(mode);
		if (!subsys)
			continue;
		if (attr_is(n, "managed", "yes")) {
			d->n_managed++;
			index++;
			continue;
		}
		if (d->n == DOMXML_MAX_DEVS) {
			say(err, errlen, "more than %d PCI hostdevs", DOMXML_MAX_DEVS);
			ret = -EINVAL;
			goto out;
		}
		ret = hostdev_addr(n, &d->devs[d->n], err, errlen, index++);
		if (ret)
			goto out;
		d->n++;
	}
out:
	xmlFreeDoc(doc);
	return ret;
}
