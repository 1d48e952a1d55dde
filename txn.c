/* ISC license. */
/* The transaction's envelope, and its one log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "txn.h"
#include "util.h"

/* Forget sender and recipients, keeping the memory for the next one. */
void
txn_clear(struct txn *t)
{
	t->nrcpts = 0;
	t->smtputf8 = 0;
	memset(&t->sender, 0, sizeof(t->sender));
}

void
txn_free(struct txn *t)
{
	free(t->rcpts);
	t->rcpts = NULL;
	t->nrcpts = t->rcpts_cap = 0;
}

/*
 * Is a already a recipient?  Local parts compare exactly, domains
 * without regard to case (RFC 5321 2.4).
 */
int
txn_has_rcpt(const struct txn *t, const struct addr *a)
{
	const struct addr *r;
	size_t i;

	for (i = 0; i < t->nrcpts; i++) {
		r = &t->rcpts[i];
		if (r->local_len == a->local_len &&
		    strncmp(r->mailbox, a->mailbox, a->local_len) == 0 &&
		    strcasecmp(addr_domain(r), addr_domain(a)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Add a recipient.  In SMTP a repeat is kept once.  In LMTP (lmtp set)
 * every accepted RCPT needs its own reply after the data (RFC 2033
 * 4.2), so a repeat is kept too; delivery makes one copy per mailbox
 * anyway.  -1 when memory runs out.
 */
int
txn_add_rcpt(struct txn *t, const struct addr *a, int lmtp)
{
	struct addr *grown;
	size_t cap;

	if (!lmtp && txn_has_rcpt(t, a))
		return 0;
	if (t->nrcpts == t->rcpts_cap) {
		cap = t->rcpts_cap == 0 ? 8 : t->rcpts_cap * 2;
		grown = realloc(t->rcpts, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		t->rcpts = grown;
		t->rcpts_cap = cap;
	}
	t->rcpts[t->nrcpts++] = *a;
	return 0;
}

/* v in decimal in buf (24 octets hold any); buf. */
static const char *
decimal(char buf[24], unsigned long long v)
{
	char *p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	return p;
}

/*
 * One line per transaction (LOG_MAIL): id, sender, recipients, size,
 * outcome.  Addresses go through log_field(): a quoted local part may
 * hold blanks and brackets, and must not pass for fields of its own.
 */
void
txn_log(const struct txn *t, unsigned long long size, const char *outcome)
{
	char to[1400], from[4 * ADDR_MAILBOX_MAX + 1];
	char one[4 * ADDR_MAILBOX_MAX + 1], line[1024], nrcpt[24], octets[24];
	size_t i, o = 0;
	int n;

	to[0] = '\0';
	for (i = 0; i < t->nrcpts && o < sizeof(to) - 1; i++) {
		log_field(one, sizeof(one), t->rcpts[i].mailbox);
		n = util_concat(to + o, sizeof(to) - o, i ? "," : "", "<", one,
		    ">", (const char *)NULL);
		if (n < 0) {
			to[o] = '\0';
			break;	/* the list is cut short; nrcpt says so */
		}
		o += (size_t)n;
	}
	log_field(from, sizeof(from), t->sender.mailbox);
	/* "id=%s from=<%s> to=%s nrcpt=%zu size=%llu: %s", by hand */
	util_concat(line, sizeof(line), "id=", t->id, " from=<", from, "> to=",
	    to, " nrcpt=", decimal(nrcpt, t->nrcpts), " size=",
	    decimal(octets, size), ": ", outcome, (const char *)NULL);
	log_info_text(line);
}
