/* ISC license. */
/*
 * RFC 5321 4.1.2 paths and ESMTP parameters.  The grammar is checked
 * strictly so that whatever passes can go into a header, a log line or
 * a file name check without surprises: no controls, no spaces outside
 * quotes, no unbalanced brackets, well-formed UTF-8 only.
 *
 * Leniency, on purpose: spaces after the colon ("MAIL FROM: <a@b>")
 * and a path without angle brackets ("mail from:a@b"), as people type
 * them and as Postfix and Exim accept them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "util.h"

static size_t	scan_atom(const char *);
static size_t	scan_dot_string(const char *);
static size_t	scan_quoted(const char *);
static size_t	scan_domain(const char *);
static size_t	scan_literal(const char *);
static size_t	scan_route(const char *);
static size_t	utf8_len(const unsigned char *);
static int	is_unicode_control(unsigned long);

/* RFC 5322 atext, extended by RFC 6531 with UTF-8 */
static int
is_atext(int c)
{
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * Code points that control rather than show: the C1 controls, the line
 * and paragraph separators, and the bidirectional marks, embeddings and
 * isolates that reorder what a terminal or log viewer displays.  An
 * address holding one would carry it into a file name, a header and a
 * log line ("no control characters" holds for Unicode too).
 */
static int
is_unicode_control(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Length of one well-formed UTF-8 sequence of 2-4 octets at p, or 0 for
 * anything else, a control code point included.
 */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned long cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		if ((p[1] & 0xc0) != 0x80)
			return 0;
		cp = ((unsigned long)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
		return is_unicode_control(cp) ? 0 : 2;
	}
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (p[0] == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (p[0] == 0xed && p[1] >= 0xa0)
			return 0;	/* surrogate */
		cp = ((unsigned long)(p[0] & 0x0f) << 12) |
		    ((unsigned long)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return is_unicode_control(cp) ? 0 : 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (p[0] == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (p[0] == 0xf4 && p[1] >= 0x90)
			return 0;	/* beyond U+10FFFF */
		return 4;
	}
	return 0;
}

/* Is p[0..n) well-formed UTF-8?  (ASCII is.) */
int
utf8_valid(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0, k;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		/* utf8_len() reads at most 4 octets; stop at the end */
		if (n - i < 4) {
			unsigned char tail[4] = { 0, 0, 0, 0 };

			memcpy(tail, u + i, n - i);
			k = utf8_len(tail);
			if (k == 0 || k > n - i)
				return 0;
		} else if ((k = utf8_len(u + i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* One atom: atext or UTF-8 (the caller's string is NUL-terminated). */
static size_t
scan_atom(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	for (;;) {
		if (u[i] < 0x80 && u[i] != '\0' && is_atext(u[i]))
			i++;
		else if (u[i] >= 0x80 && (k = utf8_len(u + i)) != 0)
			i += k;
		else
			return i;
	}
}

static size_t
scan_dot_string(const char *s)
{
	size_t i, k;

	if ((i = scan_atom(s)) == 0)
		return 0;
	while (s[i] == '.' && (k = scan_atom(s + i + 1)) != 0)
		i += 1 + k;
	return i;
}

/* RFC 5321 Quoted-string: qtextSMTP and quoted-pairSMTP (32-126). */
static size_t
scan_quoted(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 1, k;

	if (u[0] != '"')
		return 0;
	for (;;) {
		if (u[i] == '"')
			return i + 1;
		if (u[i] == '\\' && u[i + 1] >= 32 && u[i + 1] <= 126)
			i += 2;
		else if (u[i] >= 32 && u[i] <= 126 && u[i] != '\\')
			i++;
		else if (u[i] >= 0x80 && (k = utf8_len(u + i)) != 0)
			i += k;
		else
			return 0;
	}
}

/* Domain: sub-domains of letters, digits and inner hyphens, or U-labels. */
static size_t
scan_domain(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, label, k;

	for (;;) {
		label = i;
		for (;;) {
			if (u[i] < 0x80 && (isalnum(u[i]) || u[i] == '-'))
				i++;
			else if (u[i] >= 0x80 && (k = utf8_len(u + i)) != 0)
				i += k;
			else
				break;
		}
		/* RFC 1035 2.3.4: a label has 1 to 63 octets */
		if (i == label || i - label > 63 || u[label] == '-' ||
		    u[i - 1] == '-')
			return 0;
		if (u[i] != '.')
			return i;
		i++;
	}
}

/* RFC 5321 4.1.3 address literals: [IPv4], [IPv6:...], [tag:text]. */
static size_t
scan_literal(const char *s)
{
	char text[64];
	unsigned char bin[16];
	const char *end;
	size_t n, i;

	if (s[0] != '[' || (end = strchr(s, ']')) == NULL)
		return 0;
	n = (size_t)(end - s - 1);
	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, s + 1, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, bin) == 1)
		return n + 2;
	if (strncasecmp(text, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, text + 5, bin) == 1 ? n + 2 : 0;
	/* General-address-literal: Standardized-tag ":" 1*dcontent */
	for (i = 0; i < n && (isalnum((unsigned char)text[i]) ||
	    text[i] == '-'); i++)
		;
	if (i == 0 || text[i - 1] == '-' || text[i] != ':' || i + 1 == n)
		return 0;
	for (i++; i < n; i++)
		if (text[i] < 33 || text[i] > 126 || text[i] == '[' ||
		    text[i] == '\\')
			return 0;
	return n + 2;
}

/* A-d-l (RFC 5321 4.1.2): "@a,@b:" before the mailbox, then ignored. */
static size_t
scan_route(const char *s)
{
	size_t i = 0, k;

	if (s[0] != '@')
		return 0;
	for (;;) {
		if (s[i] != '@' || (k = scan_domain(s + i + 1)) == 0)
			return 0;
		i += 1 + k;
		if (s[i] == ':')
			return i + 1;
		if (s[i] != ',')
			return 0;
		i++;
	}
}

/*
 * Parse the path that follows "FROM:" or "TO:".  On success *rest
 * points at what follows it: "" or " " and parameters.  allow_null
 * admits <> (a sender only, RFC 5321 4.5.5).
 */
enum addr_status
addr_parse_path(const char *arg, int allow_null, struct addr *a,
    const char **rest)
{
	const char *p = arg, *start;
	size_t local, dom, total;
	int bracket;

	memset(a, 0, sizeof(*a));
	while (*p == ' ')
		p++;
	bracket = *p == '<';
	if (bracket) {
		p++;
		if (*p == '>') {
			if (!allow_null)
				return ADDR_SYNTAX;
			*rest = p + 1;
			return **rest == '\0' || **rest == ' ' ?
			    ADDR_OK : ADDR_SYNTAX;
		}
		p += scan_route(p);
	}
	start = p;
	local = *p == '"' ? scan_quoted(p) : scan_dot_string(p);
	if (local == 0 || local > ADDR_LOCAL_MAX)
		return ADDR_SYNTAX;
	p += local;
	if (*p == '@') {
		p++;
		dom = *p == '[' ? scan_literal(p) : scan_domain(p);
		if (dom == 0 || dom > ADDR_DOMAIN_MAX)
			return ADDR_SYNTAX;
		p += dom;
	} else if (local == 10 && strncasecmp(start, "postmaster", 10) == 0)
		a->postmaster = 1;
	if (bracket && *p++ != '>')
		return ADDR_SYNTAX;
	if (*p != '\0' && *p != ' ')
		return ADDR_SYNTAX;
	total = (size_t)(p - start) - (bracket ? 1 : 0);
	if (total > ADDR_MAILBOX_MAX)
		return ADDR_SYNTAX;
	if (start[local] != '@' && !a->postmaster)
		return ADDR_NO_DOMAIN;
	memcpy(a->mailbox, start, total);
	a->mailbox[total] = '\0';
	a->local_len = local;
	for (p = a->mailbox; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			a->utf8 = 1;
	*rest = start + total + (bracket ? 1 : 0);
	return ADDR_OK;
}

/* The domain of a parsed mailbox, or "" when it has none. */
const char *
addr_domain(const struct addr *a)
{
	return a->mailbox[a->local_len] == '@' ?
	    a->mailbox + a->local_len + 1 : "";
}

/*
 * The local part as a mailbox name: quotes and backslashes of a
 * Quoted-string removed (RFC 5321 4.1.2 quoted-pairSMTP), ASCII letters
 * folded to lower case so that Sakura@ and sakura@ share a mailbox.
 * Always fits: the result is never longer than the local part.
 */
void
addr_local_folded(const struct addr *a, char dst[ADDR_LOCAL_MAX + 1])
{
	const char *p = a->mailbox, *end = a->mailbox + a->local_len;
	size_t o = 0;

	if (*p == '"') {
		p++;
		end--;
	}
	for (; p < end && o < ADDR_LOCAL_MAX; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		dst[o++] = util_ascii_lower(*p);
	}
	dst[o] = '\0';
}

/*
 * Next "KEYWORD[=value]" from *p (RFC 5321 4.1.2 esmtp-param).
 * Returns 1 with the pieces, 0 at the end, -1 on a syntax error.
 */
int
addr_next_param(const char **p, const char **key, size_t *keylen,
    const char **val, size_t *vallen)
{
	const char *s = *p;

	*keylen = 0;
	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;
	*key = s;
	if (!isalnum((unsigned char)*s))
		return -1;
	while (isalnum((unsigned char)*s) || *s == '-')
		s++;
	*keylen = (size_t)(s - *key);
	*val = NULL;
	*vallen = 0;
	if (*s == '=') {
		*val = ++s;
		/* esmtp-value: %d33-60 / %d62-126, and UTF-8 (RFC 6531) */
		while ((unsigned char)*s > 32 && *s != '=' && *s != 127)
			s++;
		*vallen = (size_t)(s - *val);
		if (*vallen == 0 || !utf8_valid(*val, *vallen))
			return -1;
	}
	if (*s != '\0' && *s != ' ')
		return -1;
	*p = s;
	return 1;
}

/*
 * The parameters after MAIL FROM:<path>: RFC 1870 SIZE, RFC 6152 BODY
 * and RFC 6531 SMTPUTF8, each at most once, and only after EHLO.
 * Returns R_NONE when all are fine (*smtputf8 says whether SMTPUTF8 was
 * given), else the reply, with the keyword at fault in bad.
 */
enum reply_id
addr_mail_params(const char *rest, int esmtp, unsigned long long max_size,
    int *smtputf8, char *bad, size_t badsize)
{
	const char *key, *val, *end;
	size_t keylen, vallen;
	int seen_size = 0, seen_body = 0, r;
	unsigned long long size;

	*smtputf8 = 0;
	while ((r = addr_next_param(&rest, &key, &keylen, &val, &vallen)) == 1) {
		snprintf(bad, badsize, "%.*s", (int)keylen, key);
		if (!esmtp)
			return R_PARAM_NEED_EHLO;
		if (strcasecmp(bad, "SIZE") == 0) {
			if (seen_size++ || val == NULL || vallen > 20)
				return R_PARAM_BAD;
			end = val;
			if ((r = util_decimal(&end, &size)) == -1)
				return R_TOO_BIG;
			if (r == 0 || end != val + vallen)
				return R_PARAM_BAD;
			/* RFC 1870 6.1: refuse at once what will not fit */
			if (size > max_size)
				return R_TOO_BIG;
		} else if (strcasecmp(bad, "BODY") == 0) {
			/* RFC 3030 3: an mbox cannot carry binary faithfully */
			if (!seen_body && val != NULL && vallen == 10 &&
			    strncasecmp(val, "BINARYMIME", 10) == 0)
				return R_NO_BINARYMIME;
			if (seen_body++ || val == NULL ||
			    !((vallen == 4 && strncasecmp(val, "7BIT", 4) == 0) ||
			    (vallen == 8 && strncasecmp(val, "8BITMIME", 8) == 0)))
				return R_PARAM_BAD;
		} else if (strcasecmp(bad, "SMTPUTF8") == 0) {
			if ((*smtputf8)++ || val != NULL)
				return R_PARAM_BAD;
		} else
			return R_PARAM_UNKNOWN;
	}
	return r == 0 ? R_NONE : R_SYNTAX_MAIL;
}
