/* ISC license. */
/*
 * MAIL FROM and RCPT TO (RFC 5321 4.1.1.2, 4.1.1.3): the path, its
 * parameters and the policy on it (served domains, what the delivery
 * method can take, -r), into the transaction.  Each returns the reply;
 * what it shows (an address, a keyword) is left in shown.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deliver.h"
#include "envelope.h"
#include "guess.h"
#include "rcpt_table.h"
#include "util.h"

static int	is_blank(const char *);
static int	is_served_domain(const struct config *, const char *);
static enum reply_id lookup(const struct config *, struct addr *);

/* Is arg empty but for blanks?  "MAIL FROM:" alone is a syntax error. */
static int
is_blank(const char *arg)
{
	return arg[strspn(arg, " ")] == '\0';
}

/* -d lists the domains served; with none, every domain is. */
static int
is_served_domain(const struct config *cfg, const char *domain)
{
	size_t i;

	if (cfg->ndomains == 0)
		return 1;
	for (i = 0; i < cfg->ndomains; i++)
		if (strcasecmp(cfg->domains[i], domain) == 0)
			return 1;
	return 0;
}

/*
 * -R: whether the recipient exists, and for an alias, whose mailbox
 * takes it (into a).  Postmaster is always accepted (RFC 5321 4.5.1),
 * in its own mailbox when the table names none.  An unreadable table
 * defers every recipient: never accept all.
 */
static enum reply_id
lookup(const struct config *cfg, struct addr *a)
{
	char local[ADDR_LOCAL_MAX + 1], domain[ADDR_DOMAIN_MAX + 1];

	if (cfg->rcpt_path == NULL)
		return R_NONE;
	if (cfg->rcpts == NULL)
		return R_TABLE_UNREADABLE;
	deliver_names(cfg, a, local, domain);
	switch (rcpt_table_find(cfg->rcpts, local, domain, a->to_local,
	    a->to_domain)) {
	case RCPT_ALIAS:
		return R_NONE;
	case RCPT_FAILED:
		return R_TABLE_UNREADABLE;
	case RCPT_KNOWN:
		break;
	case RCPT_UNKNOWN:
		if (strcmp(local, "postmaster") != 0)
			return R_UNKNOWN_USER;
		break;
	}
	a->to_local[0] = a->to_domain[0] = '\0';
	return R_NONE;
}

enum reply_id
envelope_mail(const struct config *cfg, int esmtp, struct txn *t,
    const char *arg, char *shown, size_t size)
{
	const char *rest;
	enum addr_status as;
	enum reply_id r;

	if (strncasecmp(arg, "FROM:", 5) != 0)
		return guess_keyword(arg, "FROM", R_FROM_TYPO, R_SYNTAX_MAIL);
	if (is_blank(arg + 5))
		return R_MAIL_EMPTY;
	as = addr_parse_path(arg + 5, 1, &t->sender, &rest);
	if (as == ADDR_SYNTAX && guess_path(arg + 5, 1, shown, size) == 0)
		return R_BAD_SENDER_GUESS;
	if (as != ADDR_OK || t->sender.postmaster)
		return as == ADDR_SYNTAX ? R_BAD_SENDER : R_SENDER_NO_DOMAIN;
	/* a keyword at fault is shown up to 31 octets */
	r = addr_mail_params(rest, esmtp, cfg->max_size, &t->smtputf8,
	    shown, 32);
	if (r == R_NONE && t->sender.utf8 && !t->smtputf8)
		r = R_NEED_UTF8;	/* RFC 6531 3.4 */
	if (r == R_NONE) {
		util_concat(shown, size, "<", t->sender.mailbox, ">",
		    (const char *)NULL);
		r = deliver_check_sender(cfg, &t->sender);
	}
	if (r != R_NONE) {
		t->smtputf8 = 0;
		if (r == R_TOO_BIG)	/* RFC 1870 6.1: say the limit */
			snprintf(shown, size, "%llu", cfg->max_size);
		return r;
	}
	return R_SENDER_OK;
}

enum reply_id
envelope_rcpt(const struct config *cfg, int esmtp, struct txn *t,
    const char *arg, char *shown, size_t size)
{
	struct addr a;
	const char *rest, *key, *val;
	size_t keylen, vallen;
	enum addr_status as;
	enum reply_id r;
	int p;

	if (strncasecmp(arg, "TO:", 3) != 0)
		return guess_keyword(arg, "TO", R_TO_TYPO, R_SYNTAX_RCPT);
	if (is_blank(arg + 3))
		return R_RCPT_EMPTY;
	as = addr_parse_path(arg + 3, 0, &a, &rest);
	if (as == ADDR_SYNTAX && guess_path(arg + 3, 0, shown, size) == 0)
		return R_BAD_RCPT_GUESS;
	if (as != ADDR_OK)
		return as == ADDR_SYNTAX ? R_BAD_RCPT : R_RCPT_NO_DOMAIN;
	/* no RCPT parameters are offered (DSN is not) */
	if ((p = addr_next_param(&rest, &key, &keylen, &val, &vallen)) == -1)
		return R_SYNTAX_RCPT;
	if (p == 1) {
		snprintf(shown, size, "%.*s", (int)(keylen < 31 ? keylen : 31),
		    key);
		return esmtp ? R_PARAM_UNKNOWN : R_PARAM_NEED_EHLO;
	}
	if (a.utf8 && !t->smtputf8)
		return R_NEED_UTF8;
	/* RFC 5321 4.5.1: postmaster is always accepted */
	if (!a.postmaster && !is_served_domain(cfg, addr_domain(&a))) {
		util_strlcpy(shown, addr_domain(&a), size);
		return R_RELAY_DENIED;
	}
	util_concat(shown, size, "<", a.mailbox, ">", (const char *)NULL);
	if ((r = lookup(cfg, &a)) != R_NONE ||
	    (r = deliver_check_rcpt(cfg, &a)) != R_NONE)
		return r;
	/*
	 * RFC 5321 4.5.3.1.10; and a pipe run cannot be rolled back, so
	 * in SMTP a transaction takes one recipient (smtpd.8: All or
	 * nothing).  In LMTP a repeat is stored too (txn_add_rcpt), so it
	 * counts.
	 */
	if ((cfg->lmtp || !txn_has_rcpt(t, &a)) &&
	    (t->nrcpts >= cfg->max_rcpts ||
	    (deliver_one_rcpt(cfg) && t->nrcpts >= 1)))
		return R_TOO_MANY_RCPTS;
	if (txn_add_rcpt(t, &a, cfg->lmtp) == -1)
		return R_LOCAL_ERROR;
	return R_RCPT_OK;
}
