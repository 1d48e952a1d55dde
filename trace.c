/* ISC license. */
/*
 * The lines smtpd writes in front of a message: one place, so the
 * three methods and the session cannot drift apart in how they show an
 * address or a date.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "trace.h"
#include "util.h"

static void	from_line_name(char [ADDR_MAILBOX_MAX + 1], const char *);
static int	checked(int, size_t);

/* snprintf's result as a length, or -1 when it was cut. */
static int
checked(int n, size_t size)
{
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/*
 * The trace header (RFC 5321 4.4), first in the spool: from the HELO
 * name (neutralised) and the peer's address (NULL: stdin), by host,
 * with the protocol word as RFC 3848 and RFC 6531 register it, the
 * message id, "for <rcpt>" when the message has that one recipient
 * only (rcpt NULL: several), and the date.
 */
int
trace_received(char *buf, size_t size, const struct trace_hop *h)
{
	char helo[256], date[64], peer[80], using[2 * TRACE_TLS_NAME_MAX + 40];

	util_header_word(helo, sizeof(helo), h->helo, ".-_:[]");
	if (h->peer != NULL)
		snprintf(peer, sizeof(peer), "[%s]", h->peer);
	else
		util_strlcpy(peer, "stdin", sizeof(peer));
	/* what a TLS wrapper said, as Postfix writes it */
	using[0] = '\0';
	if (h->tls_protocol != NULL && *h->tls_protocol != '\0')
		snprintf(using, sizeof(using), "\n\t(using %s%s%s)",
		    h->tls_protocol, h->tls_cipher != NULL &&
		    *h->tls_cipher != '\0' ? " with cipher " : "",
		    h->tls_cipher != NULL ? h->tls_cipher : "");
	if (util_rfc5322_date(date, sizeof(date), h->when) == -1)
		return -1;
	return util_concat(buf, size, "Received: from ", helo, " (", peer, ")",
	    using, "\n\tby ", h->host, " (smtpd) with ", h->with, " id ",
	    h->id, h->rcpt != NULL ? "\n\tfor <" : "",
	    h->rcpt != NULL ? h->rcpt : "", h->rcpt != NULL ? ">" : "",
	    ";\n\t", date, "\n", (const char *)NULL);
}

/*
 * The sender as the From_ line shows it: ASCII, since mail readers
 * parse that line as ASCII (Python's mailbox module raises on anything
 * else), and one word.  A blank becomes '_' (a quoted local part may
 * hold one) and each non-ASCII character one '?'.  The Return-Path
 * header keeps the address as it was given.
 */
static void
from_line_name(char who[ADDR_MAILBOX_MAX + 1], const char *sender)
{
	const unsigned char *p = (const unsigned char *)sender;
	size_t o = 0;

	for (; *p != '\0' && o < ADDR_MAILBOX_MAX; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;	/* a UTF-8 continuation octet */
		who[o++] = *p >= 0x80 ? '?' : *p == ' ' ? '_' : (char)*p;
	}
	who[o] = '\0';
}

/*
 * "From SENDER DATE", the line that starts a message in an mbox
 * (mboxrd), with the asctime-style date readers expect; the null
 * sender <> is MAILER-DAEMON.
 */
int
trace_from_line(char *buf, size_t size, const char *sender, time_t when)
{
	static struct util_date last;	/* the last second's */
	const char *date = util_date_cached(&last, when, UTIL_DATE_ASCTIME);
	char who[ADDR_MAILBOX_MAX + 1];

	if (date == NULL)
		return -1;
	from_line_name(who, *sender == '\0' ? "MAILER-DAEMON" : sender);
	return util_concat(buf, size, "From ", who, " ", date, "\n",
	    (const char *)NULL);
}

/* The envelope sender as delivery found it (RFC 5321 4.4). */
int
trace_return_path(char *buf, size_t size, const char *sender)
{
	return util_concat(buf, size, "Return-Path: <", sender, ">\n",
	    (const char *)NULL);
}

/* The recipient the copy was delivered for (qmail's convention). */
int
trace_delivered_to(char *buf, size_t size, const char *rcpt)
{
	return checked(snprintf(buf, size, "Delivered-To: %s\n", rcpt),
	    size);
}
