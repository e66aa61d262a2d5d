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

int domxml_parse(const char *xml, size_t len, struct domxml *d,
		 char *err, size_t errlen)
{
	const xmlNode *root, *devs, *n;
	size_t index = 0;
	xmlDoc *doc;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	if (len > DOMXML_MAX_BYTES) {
		say(err, errlen, "domain XML larger than %u bytes", DOMXML_MAX_BYTES);
		return -E2BIG;
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
		return -EINVAL;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "domain")) {
		say(err, errlen, "the root element is not <domain>");
		ret = -EINVAL;
		goto out;
	}
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
