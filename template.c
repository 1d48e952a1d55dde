/* ISC license. */
/*
 * The destination templates of the command line: %u (the local part,
 * unquoted, folded), %d (the domain, folded), %s and %r (sender and
 * recipient as given, pipe arguments only) and %%; their expansion for
 * one recipient, and the checks on what they may make.
 */
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

/*
 * %u: the local part unquoted, %d: the domain, both with ASCII letters
 * in lower case (smtpd.8: Mailbox names).  <postmaster> without a domain
 * gets the -n name as its domain.  An alias (-R) names its target's
 * mailbox, already folded by the table.
 */
void
template_names(const struct addr *a, const char *hostname,
    struct template_names *n)
{
	const char *d = a->postmaster && *addr_domain(a) == '\0' ?
	    hostname : addr_domain(a);
	size_t i;

	if (a->to_local[0] != '\0') {
		util_strlcpy(n->local, a->to_local, sizeof(n->local));
		d = a->to_domain;
	} else
		addr_local_folded(a, n->local);
	for (i = 0; i < ADDR_DOMAIN_MAX && d[i] != '\0'; i++)
		n->domain[i] = util_ascii_lower(d[i]);
	n->domain[i] = '\0';
}

/*
 * Whether a name can stand as one component of a path without leaving
 * the mailbox directory or surprising a filesystem or a shell script
 * that lists it: not empty, no '/', no leading '.', no "..", no
 * control characters.
 */
int
template_is_safe(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || *s == '.' || strstr(s, "..") != NULL)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Expand template into dst[0..size) and return the length of the
 * whole expansion, as snprintf does: when that is size or more, dst
 * holds nothing useful.  %s and %r (sender, recipient as given) are
 * only offered when sender is not NULL, that is in pipe arguments;
 * template_check() has refused the rest.
 */
size_t
template_expand(char *dst, size_t size, const char *template,
    const struct template_names *n, const struct addr *sender,
    const struct addr *rcpt)
{
	const char *p, *add;
	size_t o = 0, len;

	for (p = template; *p != '\0'; p++) {
		if (*p != '%') {
			/* a literal run in one copy: a path is expanded
			 * twice a message (docs/performance.md, case b) */
			len = strcspn(p, "%");
			if (o + len < size)
				memcpy(dst + o, p, len);
			o += len;
			p += len - 1;
			continue;
		}
		switch (*++p) {
		case 'u':
			add = n->local;
			break;
		case 'd':
			add = n->domain;
			break;
		case 's':	/* only NULL where template_check() */
			add = sender != NULL ? sender->mailbox : "";
			break;	/* has refused %s and %r */
		case 'r':
			add = rcpt != NULL ? rcpt->mailbox : "";
			break;
		default:	/* '%' */
			add = "%";
			break;
		}
		len = strlen(add);
		if (o + len < size)
			memcpy(dst + o, add, len);
		o += len;
	}
	if (o < size)
		dst[o] = '\0';
	return o;
}

/* The destination template expanded, malloc'd; NULL without memory. */
char *
template_expand_path(const char *template, const struct template_names *n)
{
	size_t len = template_expand(NULL, 0, template, n, NULL, NULL);
	char *p;

	if ((p = malloc(len + 1)) != NULL)
		template_expand(p, len + 1, template, n, NULL, NULL);
	return p;
}

/* NULL when every % in template is one of allowed, else why not. */
const char *
template_check(const char *template, const char *allowed)
{
	const char *p;

	for (p = template; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0' || strchr(allowed, *p) == NULL)
			return *p == 's' || *p == 'r' ?
			    "%s and %r are only for pipe arguments" :
			    "unknown % sequence: use %u, %d, %s, %r or %%";
	}
	return NULL;
}

/* Whether the templates argv[from..to) mention %c. */
int
template_mentions(char **argv, int argc, int from, int to, char c)
{
	const char *p;
	int i;

	for (i = from; i < to && i < argc; i++)
		for (p = argv[i]; (p = strchr(p, '%')) != NULL;
		    p += 2)
			if (p[1] == c)
				return 1;
	return 0;
}
