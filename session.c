/* ISC license. */
/*
 * The SMTP state machine: a table of commands, each with the states it
 * is legal in, and one handler per verb.  The dispatcher answers the
 * generic refusals (unknown verb, wrong order, stray or missing
 * argument) from the table alone, so handlers hold only semantics.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "deliver.h"
#include "help.h"
#include "hint.h"
#include "log.h"
#include "session.h"
#include "trace.h"
#include "util.h"

#define STATE_BIT(st)	(1 << (st))
#define ST_ANY		(STATE_BIT(ST_START) | STATE_BIT(ST_GREETED) | \
			    STATE_BIT(ST_MAIL) | STATE_BIT(ST_RCPT))
#define ST_TXN		(STATE_BIT(ST_MAIL) | STATE_BIT(ST_RCPT))

#define P_SMTP		0x01
#define P_LMTP		0x02
#define P_BOTH		(P_SMTP | P_LMTP)

enum argument {
	ARG_NONE,	/* a stray argument is a syntax error */
	ARG_NEED,	/* a missing one is */
	ARG_ANY
};

struct command {
	const char	*verb;
	int		 states;	/* STATE_BIT()s where it is legal */
	int		 protocols;
	enum argument	 arg;
	enum reply_id	 syntax;	/* when the argument is wrong */
	void		(*handler)(struct session *, char *);
};

static void	cmd_helo(struct session *, char *);
static void	cmd_ehlo(struct session *, char *);
static void	cmd_mail(struct session *, char *);
static void	cmd_rcpt(struct session *, char *);
static void	cmd_data(struct session *, char *);
static void	cmd_rset(struct session *, char *);
static void	cmd_noop(struct session *, char *);
static void	cmd_quit(struct session *, char *);
static void	cmd_vrfy(struct session *, char *);
static void	cmd_expn(struct session *, char *);
static void	cmd_help(struct session *, char *);
static void	cmd_obsolete(struct session *, char *);
static void	cmd_not_offered(struct session *, char *);
static void	cmd_smtp_in_lmtp(struct session *, char *);

static const struct command commands[] = {
	{ "HELO", ST_ANY, P_SMTP, ARG_NEED, R_SYNTAX_HELO, cmd_helo },
	{ "EHLO", ST_ANY, P_SMTP, ARG_NEED, R_SYNTAX_HELO, cmd_ehlo },
	{ "LHLO", ST_ANY, P_LMTP, ARG_NEED, R_SYNTAX_HELO, cmd_ehlo },
	{ "HELO", ST_ANY, P_LMTP, ARG_ANY, R_COUNT, cmd_smtp_in_lmtp },
	{ "EHLO", ST_ANY, P_LMTP, ARG_ANY, R_COUNT, cmd_smtp_in_lmtp },
	{ "MAIL", STATE_BIT(ST_GREETED), P_BOTH, ARG_NEED, R_SYNTAX_MAIL,
	    cmd_mail },
	{ "RCPT", ST_TXN, P_BOTH, ARG_NEED, R_SYNTAX_RCPT, cmd_rcpt },
	{ "DATA", STATE_BIT(ST_RCPT), P_BOTH, ARG_NONE, R_NO_ARGUMENT,
	    cmd_data },
	{ "RSET", ST_ANY, P_BOTH, ARG_NONE, R_NO_ARGUMENT, cmd_rset },
	{ "NOOP", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_noop },
	{ "QUIT", ST_ANY, P_BOTH, ARG_NONE, R_NO_ARGUMENT, cmd_quit },
	{ "VRFY", ST_ANY, P_BOTH, ARG_NEED, R_SYNTAX_VRFY, cmd_vrfy },
	{ "EXPN", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_expn },
	{ "HELP", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_help },
	/* RFC 821 verbs that RFC 5321 dropped */
	{ "SEND", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_obsolete },
	{ "SOML", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_obsolete },
	{ "SAML", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_obsolete },
	{ "TURN", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_obsolete },
	/* real extensions this server does not offer */
	{ "STARTTLS", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_not_offered },
	{ "AUTH", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_not_offered },
	{ "BDAT", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_not_offered },
	{ "ETRN", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_not_offered },
	{ "ATRN", ST_ANY, P_BOTH, ARG_ANY, R_COUNT, cmd_not_offered },
	{ NULL, 0, 0, ARG_ANY, R_COUNT, NULL }
};

const struct reply_text reply_table[R_COUNT] = {
#define REPLY_ROW(id, code, esc, text) [id] = { code, esc, text },
	REPLY_TABLE(REPLY_ROW)
#undef REPLY_ROW
};

static void	reply(struct session *, enum reply_id);
static void	reply_with(struct session *, enum reply_id, const char *);
static void	reply_lines(struct session *, int, const char *,
		    const char *const *, size_t);
static void	set_state(struct session *, enum state);
static void	txn_reset(struct session *);
static int	txn_add_rcpt(struct session *, const struct addr *);
static int	is_rcpt(const struct session *, const struct addr *);
static void	dispatch(struct session *, char *, size_t);
static const struct command *lookup(const struct session *, const char *,
		    size_t);
static enum reply_id out_of_order(const struct session *,
		    const struct command *);
static int	is_helo_name(const char *);
static void	greet(struct session *, char *, const char *, int);
static void	reply_too_big(struct session *);
static int	is_blank(const char *);
static int	is_served_domain(const struct session *, const char *);
static enum reply_id mail_params(struct session *, const char *, char *,
		    size_t);
static int	write_received(struct session *);
static enum reply_id receive_body(struct session *);
static void	log_txn(const struct session *, const char *);
static void	reply_outcome(struct session *, const struct deliver_result *,
		    const struct addr *);
static void	reply_unknown(struct session *, const char *, size_t);
static enum reply_id word_typo(const char *, const char *, enum reply_id,
		    enum reply_id);
static int	guess_path(const char *, int, char *, size_t);
static void	hint(struct session *, enum reply_id);
static void	hints_after_reply(struct session *);

/*
 * Write one reply: "code SP [esc SP] text CR LF", the table text's
 * one "%s" replaced by arg (RFC 5321 4.2, RFC 2034 4).
 */
static void
reply_with(struct session *s, enum reply_id id, const char *arg)
{
	const struct reply_text *r = &reply_table[id];
	const char *lines[1];
	char text[512];
	const char *slot = strstr(r->text, "%s");

	if (slot != NULL)
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(slot - r->text),
		    r->text, arg != NULL ? arg : "", slot + 2);
	else
		util_strlcpy(text, r->text, sizeof(text));
	lines[0] = text;
	reply_lines(s, r->code, r->esc, lines, 1);
	s->last_id = id;
}

static void
reply(struct session *s, enum reply_id id)
{
	reply_with(s, id, NULL);
}

/*
 * A reply of n lines, "code-" on all but the last (RFC 5321 4.2.1).
 * If the writer must write to make room, the client may make us wait:
 * let go of a kept mailbox first.
 */
static void
reply_lines(struct session *s, int code, const char *esc,
    const char *const *lines, size_t n)
{
	char buf[600];
	size_t i, total = 0;
	int len;

	for (i = 0; i < n; i++)
		total += 8 + (esc != NULL ? strlen(esc) + 1 : 0) +
		    strnlen(lines[i], 500);
	if (total > outbuf_room(&s->out))
		deliver_ctx_release(s->dctx);
	for (i = 0; i < n; i++) {
		len = snprintf(buf, sizeof(buf), "%d%c%s%s%.*s\r\n", code,
		    i + 1 < n ? '-' : ' ', esc != NULL ? esc : "",
		    esc != NULL ? " " : "", 500, lines[i]);
		outbuf_put(&s->out, buf, (size_t)len);
		transcript_server(s->transcript, buf, (size_t)len);
	}
	s->last_code = code;
}

static void
set_state(struct session *s, enum state st)
{
	s->state = st;
}

/* One reset for RSET, HELO/EHLO, the end of DATA and every abort
 * (RFC 5321 4.1.1.5, 4.1.4). */
static void
txn_reset(struct session *s)
{
	s->txn.nrcpts = 0;
	s->txn.smtputf8 = 0;
	memset(&s->txn.sender, 0, sizeof(s->txn.sender));
	spool_reset(&s->spool);
	if (s->state > ST_GREETED)
		set_state(s, ST_GREETED);
}

/*
 * Is a already a recipient of this transaction?  Local parts compare
 * exactly, domains without regard to case (RFC 5321 2.4).
 */
static int
is_rcpt(const struct session *s, const struct addr *a)
{
	const struct addr *r;
	size_t i;

	for (i = 0; i < s->txn.nrcpts; i++) {
		r = &s->txn.rcpts[i];
		if (r->local_len == a->local_len &&
		    strncmp(r->mailbox, a->mailbox, a->local_len) == 0 &&
		    strcasecmp(addr_domain(r), addr_domain(a)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Add a recipient.  In SMTP a repeat is kept once.  In LMTP every
 * accepted RCPT needs its own reply after the data (RFC 2033 4.2), so
 * a repeat is kept too; delivery makes one copy per mailbox anyway.
 */
static int
txn_add_rcpt(struct session *s, const struct addr *a)
{
	struct txn *t = &s->txn;
	struct addr *grown;
	size_t cap;

	if (!s->cfg->lmtp && is_rcpt(s, a))
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

struct session *
session_new(const struct config *cfg, int in, int out)
{
	struct session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cfg = cfg;
	s->state = ST_START;
	s->lf_mode = cfg->interactive;
	outbuf_init(&s->out, out, cfg->timeout);
	linebuf_init(&s->in, in, cfg->timeout, &s->out);
	spool_init(&s->spool);
	/* pipelined messages to one mbox share its open and its locks,
	 * held only until smtpd writes to the client or waits for it */
	if ((s->dctx = deliver_ctx_new(cfg)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	deliver_ctx_free(s->dctx);
	spool_reset(&s->spool);
	free(s->txn.rcpts);
	free(s);
}

/*
 * Run a whole session: greeting, commands until QUIT, end of input,
 * timeout or too many errors.  Returns the exit status for main().
 */
int
session_run(const struct config *cfg, int in, int out)
{
	struct session *s;
	enum line_status st;
	char *line;
	size_t len;
	int flags = 0;

	if ((s = session_new(cfg, in, out)) == NULL)
		return EX_TEMPFAIL;
	if ((s->transcript = transcript_open(cfg)) != NULL) {
		s->in.tap = transcript_client;
		s->in.tap_arg = s->transcript;
	}
	reply_with(s, cfg->lmtp ? R_GREETING_LMTP : R_GREETING,
	    cfg->hostname);
	if (cfg->hints) {
		deliver_ctx_release(s->dctx);
		outbuf_flush(&s->out);
		hint_write(STDERR_FILENO, (enum hint_lang)cfg->hint_lang,
		    hint_greeting((enum hint_lang)cfg->hint_lang, cfg->lmtp));
	}
	while (!s->done) {
		if (!linebuf_has_line(&s->in))
			deliver_ctx_release(s->dctx);	/* we may wait */
		st = linebuf_getline(&s->in, COMMAND_LINE_MAX, &line, &len,
		    &flags);
		if (st == LINE_EOF || st == LINE_ERROR)
			break;
		if (st == LINE_TIMEOUT) {
			reply_with(s, R_TIMEOUT, cfg->hostname);
			break;
		}
		/* a client that starts with bare LF is not an MTA relaying
		 * someone else's message: let LF end its lines (data.c) */
		if (!s->seen_line && st == LINE_OK && !(flags & LINE_CRLF))
			s->lf_mode = 1;
		s->seen_line = 1;
		s->last_code = 0;
		s->last_id = R_COUNT;
		if (st == LINE_TOO_LONG)
			reply(s, R_LINE_TOO_LONG);
		else if (flags & (LINE_HAS_CR | LINE_HAS_NUL))
			reply(s, R_BAD_BYTES);
		else
			dispatch(s, line, len);
		if (s->last_code >= 500 && ++s->rejected >= MAX_REJECTED) {
			reply_with(s, R_TOO_MANY_ERRORS, cfg->hostname);
			hints_after_reply(s);
			break;
		}
		hints_after_reply(s);
	}
	deliver_ctx_release(s->dctx);
	outbuf_flush(&s->out);
	if (s->out.failed == OUTBUF_STUCK)
		log_info("client took no reply for %d s; closing", cfg->timeout);
	transcript_close(s->transcript);
	s->transcript = NULL;
	if (s->state >= ST_MAIL)
		log_info("session ended during a transaction; "
		    "nothing delivered");
	session_free(s);
	return 0;
}

/* Find the row for verb[0..n), honouring the protocol column. */
static const struct command *
lookup(const struct session *s, const char *verb, size_t n)
{
	const struct command *c;
	int proto = s->cfg->lmtp ? P_LMTP : P_SMTP;

	for (c = commands; c->verb != NULL; c++)
		if (strlen(c->verb) == n && strncasecmp(c->verb, verb, n) == 0 &&
		    (c->protocols & proto))
			return c;
	return c;	/* the sentinel: unknown verb */
}

/* Which step is missing, or for MAIL inside a transaction, why not. */
static enum reply_id
out_of_order(const struct session *s, const struct command *c)
{
	if (s->state == ST_START)
		return s->cfg->lmtp ? R_NEED_LHLO : R_NEED_HELO;
	if (c->states & ST_TXN && !(c->states & STATE_BIT(ST_GREETED)) &&
	    s->state == ST_GREETED)
		return R_NEED_MAIL;
	if (c->states == STATE_BIT(ST_RCPT) && s->state == ST_MAIL)
		return R_NEED_RCPT;
	return R_NESTED_MAIL;
}

static void
dispatch(struct session *s, char *line, size_t len)
{
	const struct command *c;
	size_t verblen;
	char *arg;

	/* trailing blanks are invisible to a person typing: drop them */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	verblen = strcspn(line, " ");
	arg = line + verblen;
	while (*arg == ' ')
		arg++;
	c = lookup(s, line, verblen);
	if (c->verb == NULL) {
		reply_unknown(s, line, verblen);
		return;
	}
	if (!(c->states & STATE_BIT(s->state))) {
		reply(s, out_of_order(s, c));
		return;
	}
	if ((c->arg == ARG_NONE && *arg != '\0') ||
	    (c->arg == ARG_NEED && *arg == '\0')) {
		reply_with(s, c->syntax, c->verb);
		return;
	}
	s->verb = c->verb;
	c->handler(s, arg);
}

/*
 * A HELO name: one word of printable ASCII (RFC 5321 4.1.1.1 asks for a
 * domain or an address literal; any word is accepted, as the seeds'
 * "helo xxx" shows clients send, but nothing that could break the
 * Received header).
 */
static int
is_helo_name(const char *arg)
{
	size_t n = strlen(arg), i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (arg[i] <= ' ' || arg[i] >= 127)
			return 0;
	return 1;
}

static void
greet(struct session *s, char *arg, const char *verb, int esmtp)
{
	char first[400];

	if (!is_helo_name(arg)) {
		reply_with(s, R_SYNTAX_HELO, verb);
		return;
	}
	util_strlcpy(s->helo, arg, sizeof(s->helo));
	s->esmtp = esmtp;
	txn_reset(s);
	set_state(s, ST_GREETED);
	snprintf(first, sizeof(first), "%s Hello %s", s->cfg->hostname, arg);
	if (!esmtp) {
		reply_with(s, R_HELO, first);
		return;
	}
	{
		char size[40];
		const char *lines[] = { first, "PIPELINING", size, "8BITMIME",
		    "ENHANCEDSTATUSCODES", "SMTPUTF8", "HELP" };

		snprintf(size, sizeof(size), "SIZE %llu", s->cfg->max_size);
		reply_lines(s, 250, NULL, lines, sizeof(lines) / sizeof(*lines));
		s->last_id = R_HELO;
	}
}

static void
cmd_helo(struct session *s, char *arg)
{
	greet(s, arg, "HELO", 0);
}

/* EHLO, and LHLO in LMTP mode (RFC 2033 4.1). */
static void
cmd_ehlo(struct session *s, char *arg)
{
	greet(s, arg, s->cfg->lmtp ? "LHLO" : "EHLO", 1);
}

static void
cmd_smtp_in_lmtp(struct session *s, char *arg)
{
	(void)arg;
	reply(s, R_LHLO_ONLY);
}

/*
 * RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, each at most once.
 * Returns R_COUNT when all are fine, else the reply, with the keyword
 * at fault in bad.
 */
static enum reply_id
mail_params(struct session *s, const char *rest, char *bad, size_t badsize)
{
	const char *key, *val;
	size_t keylen, vallen, i;
	int seen_size = 0, seen_body = 0, r;
	unsigned long long size;

	while ((r = addr_next_param(&rest, &key, &keylen, &val, &vallen)) == 1) {
		snprintf(bad, badsize, "%.*s", (int)keylen, key);
		if (!s->esmtp)
			return R_PARAM_NEED_EHLO;
		if (strcasecmp(bad, "SIZE") == 0) {
			if (seen_size++ || val == NULL || vallen > 20)
				return R_PARAM_BAD;
			size = 0;
			for (i = 0; i < vallen; i++) {
				if (val[i] < '0' || val[i] > '9')
					return R_PARAM_BAD;
				if (size > (~0ULL - 9) / 10)
					return R_TOO_BIG;
				size = size * 10 + (unsigned)(val[i] - '0');
			}
			/* RFC 1870 6.1: refuse at once what will not fit */
			if (size > s->cfg->max_size)
				return R_TOO_BIG;
		} else if (strcasecmp(bad, "BODY") == 0) {
			if (seen_body++ || val == NULL ||
			    !((vallen == 4 && strncasecmp(val, "7BIT", 4) == 0) ||
			    (vallen == 8 && strncasecmp(val, "8BITMIME", 8) == 0)))
				return R_PARAM_BAD;
		} else if (strcasecmp(bad, "SMTPUTF8") == 0) {
			if (s->txn.smtputf8++ || val != NULL)
				return R_PARAM_BAD;
		} else
			return R_PARAM_UNKNOWN;
	}
	return r == 0 ? R_COUNT : R_SYNTAX_MAIL;
}

static void
reply_too_big(struct session *s)
{
	char limit[24];

	snprintf(limit, sizeof(limit), "%llu", s->cfg->max_size);
	reply_with(s, R_TOO_BIG, limit);
}

/* Is arg empty but for blanks?  "MAIL FROM:" alone is a syntax error. */
static int
is_blank(const char *arg)
{
	return arg[strspn(arg, " ")] == '\0';
}

static void
cmd_mail(struct session *s, char *arg)
{
	const char *rest;
	char shown[ADDR_MAILBOX_MAX + 3], bad[32];
	enum addr_status as;
	enum reply_id r;

	if (strncasecmp(arg, "FROM:", 5) != 0) {
		reply(s, word_typo(arg, "FROM", R_FROM_TYPO, R_SYNTAX_MAIL));
		return;
	}
	if (is_blank(arg + 5)) {
		reply(s, R_MAIL_EMPTY);
		return;
	}
	as = addr_parse_path(arg + 5, 1, &s->txn.sender, &rest);
	if (as == ADDR_SYNTAX && guess_path(arg + 5, 1, shown,
	    sizeof(shown)) == 0) {
		reply_with(s, R_BAD_SENDER_GUESS, shown);
		return;
	}
	if (as != ADDR_OK || s->txn.sender.postmaster) {
		reply(s, as == ADDR_SYNTAX ? R_BAD_SENDER : R_SENDER_NO_DOMAIN);
		return;
	}
	s->txn.smtputf8 = 0;
	r = mail_params(s, rest, bad, sizeof(bad));
	if (r == R_COUNT && s->txn.sender.utf8 && !s->txn.smtputf8)
		r = R_NEED_UTF8;	/* RFC 6531 3.4 */
	if (r != R_COUNT) {
		s->txn.smtputf8 = 0;
		if (r == R_TOO_BIG)
			reply_too_big(s);
		else
			reply_with(s, r, bad);
		return;
	}
	snprintf(shown, sizeof(shown), "<%s>", s->txn.sender.mailbox);
	if ((r = deliver_check_sender(s->cfg, &s->txn.sender)) != R_COUNT) {
		s->txn.smtputf8 = 0;
		reply_with(s, r, shown);
		return;
	}
	set_state(s, ST_MAIL);
	reply_with(s, R_SENDER_OK, shown);
}

/* -d lists the domains served; with none, every domain is. */
static int
is_served_domain(const struct session *s, const char *domain)
{
	size_t i;

	if (s->cfg->ndomains == 0)
		return 1;
	for (i = 0; i < s->cfg->ndomains; i++)
		if (strcasecmp(s->cfg->domains[i], domain) == 0)
			return 1;
	return 0;
}

static void
cmd_rcpt(struct session *s, char *arg)
{
	struct addr a;
	const char *rest, *key, *val;
	size_t keylen, vallen;
	char shown[ADDR_MAILBOX_MAX + 3], bad[32];
	enum addr_status as;
	int r;

	if (strncasecmp(arg, "TO:", 3) != 0) {
		reply(s, word_typo(arg, "TO", R_TO_TYPO, R_SYNTAX_RCPT));
		return;
	}
	if (is_blank(arg + 3)) {
		reply(s, R_RCPT_EMPTY);
		return;
	}
	as = addr_parse_path(arg + 3, 0, &a, &rest);
	if (as == ADDR_SYNTAX && guess_path(arg + 3, 0, shown,
	    sizeof(shown)) == 0) {
		reply_with(s, R_BAD_RCPT_GUESS, shown);
		return;
	}
	if (as != ADDR_OK) {
		reply(s, as == ADDR_SYNTAX ? R_BAD_RCPT : R_RCPT_NO_DOMAIN);
		return;
	}
	/* no RCPT parameters are offered (DSN is not) */
	if ((r = addr_next_param(&rest, &key, &keylen, &val, &vallen)) == -1) {
		reply(s, R_SYNTAX_RCPT);
		return;
	}
	if (r == 1) {
		snprintf(bad, sizeof(bad), "%.*s", (int)keylen, key);
		reply_with(s, s->esmtp ? R_PARAM_UNKNOWN : R_PARAM_NEED_EHLO,
		    bad);
		return;
	}
	if (a.utf8 && !s->txn.smtputf8) {
		reply(s, R_NEED_UTF8);
		return;
	}
	/* RFC 5321 4.5.1: postmaster is always accepted */
	if (!a.postmaster && !is_served_domain(s, addr_domain(&a))) {
		reply_with(s, R_RELAY_DENIED, addr_domain(&a));
		return;
	}
	if ((r = deliver_check_rcpt(s->cfg, &a)) != R_COUNT) {
		snprintf(shown, sizeof(shown), "<%s>", a.mailbox);
		reply_with(s, (enum reply_id)r, shown);
		return;
	}
	/* RFC 5321 4.5.3.1.10; and a pipe run cannot be rolled back, so
	 * in SMTP a transaction takes one recipient (smtpd.8: All or
	 * nothing).  In LMTP a repeat is stored too (txn_add_rcpt), so it
	 * counts. */
	if ((s->cfg->lmtp || !is_rcpt(s, &a)) &&
	    (s->txn.nrcpts >= s->cfg->max_rcpts ||
	    (deliver_one_rcpt(s->cfg) && s->txn.nrcpts >= 1))) {
		reply(s, R_TOO_MANY_RCPTS);
		return;
	}
	if (txn_add_rcpt(s, &a) == -1) {
		reply(s, R_LOCAL_ERROR);
		return;
	}
	set_state(s, ST_RCPT);
	snprintf(shown, sizeof(shown), "<%s>", a.mailbox);
	reply_with(s, R_RCPT_OK, shown);
}

/*
 * The trace header (RFC 5321 4.4), first in the spool.  "with" names
 * the protocol as RFC 3848 and RFC 6531 register it; trace.c writes
 * the line.
 */
static int
write_received(struct session *s)
{
	char buf[TRACE_RECEIVED_MAX];
	const char *with;
	int n;

	if (s->cfg->lmtp)
		with = "LMTP";
	else if (!s->esmtp)
		with = "SMTP";
	else
		with = s->txn.smtputf8 ? "UTF8SMTP" : "ESMTP";
	n = trace_received(buf, sizeof(buf), s->helo, s->cfg->peer,
	    s->cfg->hostname, with, s->txn.id,
	    s->txn.nrcpts == 1 ? s->txn.rcpts[0].mailbox : NULL, util_now());
	if (n == -1)
		return -1;
	return spool_write(&s->spool, buf, (size_t)n);
}

/*
 * Read the message through its end (data.c says where that is) into
 * the spool.  Errors are sticky: the data is read to its end whatever
 * happens, and only then answered (RFC 5321 4.1.1.4).  Returns R_COUNT
 * when the message may be delivered, R_TIMEOUT, R_TOO_SLOW or
 * R_SHUTDOWN when the session cannot go on, or the reply that refuses
 * the message.
 */
static enum reply_id
receive_body(struct session *s)
{
	struct data_state ds;
	enum line_status st;
	const char *in;
	size_t n, used, outlen;
	int done = 0, too_big = 0;

	data_begin(&ds, s->lf_mode);
	if (write_received(s) == -1)
		log_warn("spool");
	linebuf_rate_begin(&s->in, DATA_MIN_RATE);
	while (!done) {
		if (linebuf_pending(&s->in) == 0)
			deliver_ctx_release(s->dctx);	/* we may wait */
		st = linebuf_peek(&s->in, &in, &n);
		if (st != LINE_OK) {
			linebuf_rate_end(&s->in);
			return st == LINE_TIMEOUT ? R_TIMEOUT :
			    st == LINE_TOO_SLOW ? R_TOO_SLOW : R_SHUTDOWN;
		}
		used = data_feed(&ds, in, n, s->decoded, &outlen, &done);
		linebuf_consume(&s->in, used);
		if (ds.size > s->cfg->max_size)
			too_big = 1;
		/* past any refusal, the data is only read, not kept */
		if (!too_big && ds.flags == 0)
			(void)spool_write(&s->spool, s->decoded, outlen);
	}
	linebuf_rate_end(&s->in);
	if (too_big)
		return R_TOO_BIG;
	if (ds.flags & DATA_NUL)
		return R_NUL_IN_DATA;
	if (ds.flags & (DATA_BARE_CR | DATA_BARE_LF))
		return R_BARE_NEWLINE;
	if (s->spool.error != 0) {
		errno = s->spool.error;
		log_warn("spool");
		return method_outcome_errno(s->spool.error).reply;
	}
	return R_COUNT;
}

/* The reply for one delivery outcome. */
static void
reply_outcome(struct session *s, const struct deliver_result *r,
    const struct addr *rcpt)
{
	char text[ADDR_MAILBOX_MAX + 64];

	if (r->reply == R_DATA_OK && s->cfg->lmtp) {
		snprintf(text, sizeof(text), "<%s> as %s", rcpt->mailbox,
		    s->txn.id);
		reply_with(s, R_LMTP_DELIVERED, text);
	} else if (r->reply == R_DATA_OK)
		reply_with(s, R_DATA_OK, s->txn.id);
	else if (r->reply == R_TOO_BIG)
		reply_too_big(s);
	else
		reply_with(s, r->reply, r->detail);
}

/*
 * After the final dot: one reply in SMTP, one per accepted recipient
 * in their RCPT order in LMTP (RFC 2033 4.2).  A message refused as a
 * whole gets the same refusal for each.
 */
static void
cmd_data(struct session *s, char *arg)
{
	struct deliver_result *each, refused;
	struct envelope env;
	enum reply_id r;
	size_t i, ok = 0;
	char outcome[64];

	(void)arg;
	util_make_id(s->txn.id, sizeof(s->txn.id));
	reply(s, R_DATA_GO);
	hint(s, R_DATA_GO);
	transcript_data(s->transcript, 1);
	r = receive_body(s);
	transcript_data(s->transcript, 0);
	if (r == R_TIMEOUT || r == R_TOO_SLOW || r == R_SHUTDOWN) {
		if (r != R_SHUTDOWN)
			reply_with(s, r, s->cfg->hostname);
		log_txn(s, "not delivered: input ended inside DATA");
		txn_reset(s);
		s->done = 1;
		return;
	}
	if ((each = calloc(s->txn.nrcpts, sizeof(*each))) == NULL) {
		r = R_LOCAL_ERROR;
		refused = method_outcome(DELIVER_TEMP, r);
	} else if (r != R_COUNT) {
		refused = method_outcome(DELIVER_PERM, r);
		for (i = 0; i < s->txn.nrcpts; i++)
			each[i] = refused;
	} else {
		env.sender = &s->txn.sender;
		env.rcpts = s->txn.rcpts;
		env.nrcpts = s->txn.nrcpts;
		env.id = s->txn.id;
		env.when = util_now();
		deliver(s->dctx, &env, &s->spool, each);
		/* no next command at hand: keeping the mailbox locked
		 * would only make other sessions wait for our syslog */
		if (linebuf_pending(&s->in) == 0)
			deliver_ctx_release(s->dctx);
	}
	for (i = 0; i < s->txn.nrcpts; i++) {
		const struct deliver_result *res = each != NULL ? &each[i] :
		    &refused;

		if (res->status == DELIVER_OK && ok++ == 0 && s->cfg->hints)
			s->stored = deliver_destination(s->cfg,
			    &s->txn.rcpts[i], s->stored_where,
			    sizeof(s->stored_where)) == 0;
		if (i == 0 || s->cfg->lmtp)
			reply_outcome(s, res, &s->txn.rcpts[i]);
	}
	if (ok == s->txn.nrcpts)
		snprintf(outcome, sizeof(outcome), "delivered");
	else if (ok == 0)
		snprintf(outcome, sizeof(outcome), "not delivered: %d %s",
		    reply_table[(each != NULL ? each : &refused)->reply].code,
		    reply_table[(each != NULL ? each : &refused)->reply].esc);
	else
		snprintf(outcome, sizeof(outcome), "delivered to %zu of %zu",
		    ok, s->txn.nrcpts);
	log_txn(s, outcome);
	free(each);
	/* a refused message does not count toward MAX_REJECTED */
	s->last_code = 0;
	txn_reset(s);
}

/*
 * One line per transaction (LOG_MAIL): id, sender, recipients, size,
 * outcome.  Addresses go through log_field(): a quoted local part may
 * hold blanks and brackets, and must not pass for fields of its own.
 */
static void
log_txn(const struct session *s, const char *outcome)
{
	char to[1400], from[4 * ADDR_MAILBOX_MAX + 1];
	char one[4 * ADDR_MAILBOX_MAX + 1];
	size_t i, o = 0;
	int n;

	to[0] = '\0';
	for (i = 0; i < s->txn.nrcpts && o < sizeof(to) - 1; i++) {
		log_field(one, sizeof(one), s->txn.rcpts[i].mailbox);
		n = snprintf(to + o, sizeof(to) - o, "%s<%s>", i ? "," : "",
		    one);
		if (n < 0 || (size_t)n >= sizeof(to) - o) {
			to[o] = '\0';
			break;	/* the list is cut short; nrcpt says so */
		}
		o += (size_t)n;
	}
	log_field(from, sizeof(from), s->txn.sender.mailbox);
	log_info("id=%s from=<%s> to=%s nrcpt=%zu size=%lld: %s", s->txn.id,
	    from, to, s->txn.nrcpts, (long long)s->spool.size, outcome);
}

static void
cmd_rset(struct session *s, char *arg)
{
	(void)arg;
	txn_reset(s);
	reply(s, R_RSET);
}

static void
cmd_noop(struct session *s, char *arg)
{
	(void)arg;
	reply(s, R_NOOP);
}

static void
cmd_quit(struct session *s, char *arg)
{
	(void)arg;
	reply_with(s, R_QUIT, s->cfg->hostname);
	s->done = 1;
}

/* RFC 5321 3.5.3: 252 neither confirms nor denies a mailbox. */
static void
cmd_vrfy(struct session *s, char *arg)
{
	(void)arg;
	reply(s, R_VRFY);
}

static void
cmd_expn(struct session *s, char *arg)
{
	(void)arg;
	reply(s, R_EXPN);
}

/*
 * HELP lists every command; HELP VERB explains one, with an example
 * (RFC 5321 4.1.1.8: 214, multiline).  An unknown topic gets 504.
 */
static void
cmd_help(struct session *s, char *arg)
{
	char text[HELP_LINES_MAX][HELP_LINE_SIZE], shown[24];
	const char *lines[HELP_LINES_MAX];
	size_t len = strcspn(arg, " "), i;
	int n;

	arg[len] = '\0';	/* HELP MAIL FROM: explains MAIL */
	if ((n = help_text(arg, s->cfg->lmtp, text, HELP_LINES_MAX)) == 0) {
		/* echo only printable ASCII, and not much of it */
		for (i = 0; arg[i] != '\0' && i + 1 < sizeof(shown); i++)
			shown[i] = arg[i] > ' ' && arg[i] < 127 ? arg[i] : '?';
		shown[i] = '\0';
		reply_with(s, R_HELP_UNKNOWN, shown);
		return;
	}
	for (i = 0; i < (size_t)n; i++)
		lines[i] = text[i];
	reply_lines(s, 214, "2.0.0", lines, (size_t)n);
	s->last_id = R_HELP;
}

static void
cmd_obsolete(struct session *s, char *arg)
{
	(void)arg;
	reply_with(s, R_OBSOLETE, s->verb);
}

static void
cmd_not_offered(struct session *s, char *arg)
{
	(void)arg;
	reply_with(s, R_NOT_OFFERED, s->verb);
}

/*
 * An unknown verb: guess what was meant when one guess fits (a typing
 * slip, HLEO for HELO; a missing space, MAILFROM:), else point to HELP.
 */
static void
reply_unknown(struct session *s, const char *line, size_t verblen)
{
	const struct command *c;
	const char *guess;
	char glued[16];

	if ((guess = help_guess_verb(line, verblen, s->cfg->lmtp)) != NULL) {
		/* MAIL and RCPT are never typed without their keyword */
		if (strcmp(guess, "MAIL") == 0)
			guess = "MAIL FROM:";
		else if (strcmp(guess, "RCPT") == 0)
			guess = "RCPT TO:";
		reply_with(s, R_UNKNOWN_GUESS, guess);
		return;
	}
	c = lookup(s, line, 4);
	if (verblen > 4 && c->verb != NULL && c->handler != cmd_obsolete &&
	    c->handler != cmd_not_offered) {
		if (strncasecmp(c->verb, "MAIL", 4) == 0 &&
		    strncasecmp(line + 4, "FROM", 4) == 0)
			reply_with(s, R_UNKNOWN_GUESS, "MAIL FROM:");
		else if (strncasecmp(c->verb, "RCPT", 4) == 0 &&
		    strncasecmp(line + 4, "TO", 2) == 0)
			reply_with(s, R_UNKNOWN_GUESS, "RCPT TO:");
		else {
			util_strlcpy(glued, c->verb, sizeof(glued));
			reply_with(s, R_UNKNOWN_GLUED, glued);
		}
		return;
	}
	reply(s, R_UNKNOWN);
}

/*
 * MAIL or RCPT without its FROM: or TO:.  If the argument starts with
 * a word one slip from want ("form:", "FROM <a@b>", "TP:"), the typo
 * reply, else the plain syntax reply.
 */
static enum reply_id
word_typo(const char *arg, const char *want, enum reply_id typo,
    enum reply_id plain)
{
	size_t n = 0;

	while ((arg[n] >= 'a' && arg[n] <= 'z') || (arg[n] >= 'A' &&
	    arg[n] <= 'Z'))
		n++;
	if (n == 0 || !(arg[n] == ':' || arg[n] == ' ' || arg[n] == '<' ||
	    arg[n] == '\0'))
		return plain;
	return help_is_near(arg, n, want) ? typo : plain;
}

/*
 * A path that did not parse, often for a missing or extra < or >: if
 * its first word with exactly one pair of brackets parses, put that in
 * buf as a guess (is_mail as for addr_parse_path).  Returns 0 with a
 * guess, -1 without.
 */
static int
guess_path(const char *path, int is_mail, char *buf, size_t size)
{
	struct addr a;
	const char *rest;
	size_t start, end;

	path += strspn(path, " ");
	end = strcspn(path, " ");
	for (start = 0; start < end && path[start] == '<'; start++)
		;
	while (end > start && path[end - 1] == '>')
		end--;
	if (end - start + 3 > size || end - start > ADDR_MAILBOX_MAX)
		return -1;
	snprintf(buf, size, "<%.*s>", (int)(end - start), path + start);
	if (addr_parse_path(buf, is_mail, &a, &rest) != ADDR_OK ||
	    *rest != '\0' || a.utf8 || (is_mail && a.postmaster))
		return -1;
	return 0;
}

/* One hint about reply id, after the reply itself is on the screen. */
static void
hint(struct session *s, enum reply_id id)
{
	enum hint_lang lang = (enum hint_lang)s->cfg->hint_lang;

	if (!s->cfg->hints || !s->cfg->verbose)
		return;
	deliver_ctx_release(s->dctx);
	outbuf_flush(&s->out);
	hint_write(STDERR_FILENO, lang, hint_after(id, lang));
}

/*
 * After a command's replies: with -v what the last one means, and
 * after a delivery, always, where the message went.
 */
static void
hints_after_reply(struct session *s)
{
	enum hint_lang lang = (enum hint_lang)s->cfg->hint_lang;
	char where[sizeof(s->stored_where) * 2 + 160];

	if (!s->cfg->hints)
		return;
	if (s->last_id != R_COUNT)
		hint(s, s->last_id);
	if (s->stored) {
		s->stored = 0;
		deliver_ctx_release(s->dctx);
		outbuf_flush(&s->out);
		if (hint_stored(where, sizeof(where), s->cfg->method,
		    s->stored_where, lang) == 0)
			hint_write(STDERR_FILENO, lang, where);
	}
}
