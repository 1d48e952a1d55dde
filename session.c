/* ISC license. */
/*
 * The SMTP (RFC 5321) and LMTP (RFC 2033) state machine: a table of
 * commands, each with the states it is legal in, and one handler per
 * verb.  The dispatcher answers the generic refusals (unknown verb,
 * wrong order, stray or missing argument) from the table alone; a
 * handler holds only semantics and returns its reply, whose argument
 * it leaves in s->arg.  reply.c words every reply; the learner's aids
 * come after each one (learner.c).  The message itself (DATA, BDAT) is
 * session_message.c's, STARTTLS session_tls.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"
#include "guess.h"
#include "help.h"
#include "learner.h"
#include "log.h"
#include "session.h"
#include "session_priv.h"
#include "util.h"

/* RFC 5321 4.1.4 suggests limiting bad commands; Postfix uses 20 too */
#define MAX_REJECTED		20

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
	enum reply_id	 answer;	/* cmd_fixed's and cmd_refused's */
	enum reply_id	(*handler)(struct session *, char *);
};

static enum reply_id cmd_helo(struct session *, char *);
static enum reply_id cmd_ehlo(struct session *, char *);
static enum reply_id cmd_mail(struct session *, char *);
static enum reply_id cmd_rcpt(struct session *, char *);
static enum reply_id cmd_rset(struct session *, char *);
static enum reply_id cmd_quit(struct session *, char *);
static enum reply_id cmd_help(struct session *, char *);
static enum reply_id cmd_fixed(struct session *, char *);

#define NO_REPLY	R_NONE	/* in the syntax column: any argument will do */

static const struct command commands[] = {
	{ "HELO", ST_ANY, P_SMTP, ARG_NEED, R_SYNTAX_HELO, R_NONE, cmd_helo },
	{ "EHLO", ST_ANY, P_SMTP, ARG_NEED, R_SYNTAX_HELO, R_NONE, cmd_ehlo },
	{ "LHLO", ST_ANY, P_LMTP, ARG_NEED, R_SYNTAX_HELO, R_NONE, cmd_ehlo },
	{ "HELO", ST_ANY, P_LMTP, ARG_ANY, NO_REPLY, R_LHLO_ONLY, cmd_fixed },
	{ "EHLO", ST_ANY, P_LMTP, ARG_ANY, NO_REPLY, R_LHLO_ONLY, cmd_fixed },
	{ "MAIL", STATE_BIT(ST_GREETED), P_BOTH, ARG_NEED, R_SYNTAX_MAIL,
	    R_NONE, cmd_mail },
	{ "RCPT", ST_TXN, P_BOTH, ARG_NEED, R_SYNTAX_RCPT, R_NONE, cmd_rcpt },
	{ "DATA", STATE_BIT(ST_RCPT), P_BOTH, ARG_NONE, R_NO_ARGUMENT,
	    R_NONE, session_cmd_data },
	/* in any state: its chunk follows whatever the reply (RFC 3030 2) */
	{ "BDAT", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_NONE, session_cmd_bdat },
	{ "RSET", ST_ANY, P_BOTH, ARG_NONE, R_NO_ARGUMENT, R_NONE, cmd_rset },
	{ "NOOP", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_NOOP, cmd_fixed },
	{ "QUIT", ST_ANY, P_BOTH, ARG_NONE, R_NO_ARGUMENT, R_NONE, cmd_quit },
	/* RFC 5321 3.5.3: 252 neither confirms nor denies a mailbox */
	{ "VRFY", ST_ANY, P_BOTH, ARG_NEED, R_SYNTAX_VRFY, R_VRFY, cmd_fixed },
	{ "EXPN", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_EXPN, cmd_fixed },
	{ "HELP", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_NONE, cmd_help },
	/* RFC 821 verbs that RFC 5321 dropped */
	{ "SEND", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_OBSOLETE, session_refused },
	{ "SOML", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_OBSOLETE, session_refused },
	{ "SAML", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_OBSOLETE, session_refused },
	{ "TURN", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_OBSOLETE, session_refused },
	/* RFC 3207: only through a wrapper (tls.c), else not offered */
	{ "STARTTLS", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_NOT_OFFERED,
	    session_cmd_starttls },
	/* real extensions this server does not offer */
	{ "AUTH", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_NOT_OFFERED,
	    session_refused },
	{ "ETRN", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_NOT_OFFERED,
	    session_refused },
	{ "ATRN", ST_ANY, P_BOTH, ARG_ANY, NO_REPLY, R_NOT_OFFERED,
	    session_refused },
	{ NULL, 0, 0, ARG_ANY, NO_REPLY, R_NONE, NULL }
};

static struct session *session_open(const struct config *, int, int);
static void	session_close(struct session *);
static void	say_lines(struct session *, const enum reply_id *,
		    const char *const *, size_t);
static void	dispatch(struct session *, char *, size_t);
static const struct command *lookup(const struct session *, const char *,
		    size_t);
static enum reply_id out_of_order(const struct session *,
		    const struct command *);
static enum reply_id unknown(struct session *, const char *, size_t);
static enum reply_id greet(struct session *, char *, const char *, int);
static void	log_refused(const struct session *, const char *,
		    const char *, enum reply_id);

/*
 * Send one reply line (more: others follow); a write to make room lets
 * go of a kept mailbox first (s->out.before_write).
 */
static void
say_line(struct session *s, enum reply_id id, const char *arg, int more)
{
	char line[REPLY_LINE_MAX + 1];
	int n;

	n = reply_format(line, sizeof(line), id, s->cfg->hostname, arg, more);
	outbuf_put(&s->out, line, (size_t)n);
	transcript_server(s->transcript, line, (size_t)n);
	s->last_code = reply_table[id].code;
	s->last_id = id;
	if (s->last_code == 421 || id == R_QUIT)
		s->closing = id;
}

void
session_say(struct session *s, enum reply_id id, const char *arg)
{
	say_line(s, id, arg, 0);
}

/* A reply of n lines, "code-" on all but the last (RFC 5321 4.2.1). */
static void
say_lines(struct session *s, const enum reply_id *ids,
    const char *const *args, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		say_line(s, ids[i], args[i], i + 1 < n);
	if (n > 0)
		s->last_id = ids[0];
}

/*
 * After a command's replies: the learner's aids, which first need the
 * replies on the screen.
 */
void
session_after_reply(struct session *s)
{
	if (!learner_wanted(s->cfg))
		return;
	deliver_ctx_release(s->dctx);
	outbuf_flush(&s->out);
	learner_after_reply(s->cfg, s->last_id, s->typed, s->stored,
	    s->nstored);
	s->stored = NULL;
	s->nstored = 0;
}

void
session_set_state(struct session *s, enum state st)
{
	s->state = st;
}

/* One session_reset for RSET, HELO/EHLO, the end of DATA and every abort
 * (RFC 5321 4.1.1.5, 4.1.4). */
void
session_reset(struct session *s)
{
	txn_clear(&s->txn);
	spool_reset(&s->spool);
	s->bdat = 0;
	s->bdat_error = R_NONE;
	s->received = 0;
	if (s->state > ST_GREETED)
		session_set_state(s, ST_GREETED);
}

static struct session *
session_open(const struct config *cfg, int in, int out)
{
	struct session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cfg = cfg;
	s->state = ST_START;
	s->closing = R_NONE;
	s->lf_mode = cfg->interactive;
	s->tls = cfg->tls.implicit;
	util_strlcpy(s->tls_protocol, cfg->tls.protocol,
	    sizeof(s->tls_protocol));
	util_strlcpy(s->tls_cipher, cfg->tls.cipher, sizeof(s->tls_cipher));
	outbuf_init(&s->out, out, cfg->timeout);
	/* a person at a terminal may stop to read a tutorial: no idle
	 * timeout, and so no data-rate floor (smtpd.8: -t) */
	linebuf_init(&s->in, in, cfg->interactive ? 0 : cfg->timeout,
	    &s->out);
	spool_init(&s->spool);
	/* pipelined messages to one mbox share its open and its locks,
	 * held only until smtpd writes to the client or waits for it */
	if ((s->dctx = deliver_ctx_new(cfg)) == NULL) {
		free(s);
		return NULL;
	}
	s->out.before_write = deliver_ctx_let_go;
	s->out.before_arg = s->dctx;
	if ((s->transcript = transcript_open(cfg)) != NULL) {
		s->in.tap = transcript_client;
		s->in.tap_arg = s->transcript;
	}
	return s;
}

/*
 * The session's line (smtpd.8: LOGGING): who, what it said it was, and
 * how it ended: quit, eof, or the reason of the 421 that ended it.
 */
static void
session_close(struct session *s)
{
	char helo[4 * sizeof(s->helo)];

	deliver_ctx_release(s->dctx);
	outbuf_flush(&s->out);
	if (s->out.failed == OUTBUF_STUCK)
		log_info("client took no reply for %d s; closing",
		    s->cfg->timeout);
	transcript_close(s->transcript);
	if (s->state >= ST_MAIL)
		log_info("session ended during a transaction; "
		    "nothing delivered");
	log_field(helo, sizeof(helo), s->helo);
	if (s->closing != R_NONE && s->closing != R_QUIT)
		log_info("session peer=%s helo=%s messages=%u unknown=%u "
		    "end=%s code=%d esc=%s", s->cfg->peer != NULL ?
		    s->cfg->peer : "stdin", helo[0] != '\0' ? helo : "-",
		    s->messages, s->unknown, reply_reason(s->closing),
		    reply_table[s->closing].code, reply_table[s->closing].esc);
	else
		log_info("session peer=%s helo=%s messages=%u unknown=%u "
		    "end=%s", s->cfg->peer != NULL ? s->cfg->peer : "stdin",
		    helo[0] != '\0' ? helo : "-", s->messages, s->unknown,
		    s->closing == R_QUIT ? "quit" : "eof");
	spool_reset(&s->spool);	/* before dctx: it may hold its target */
	deliver_ctx_free(s->dctx);
	txn_free(&s->txn);
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

	if ((s = session_open(cfg, in, out)) == NULL)
		return EX_TEMPFAIL;
	learner_before_greeting(cfg);
	session_say(s, cfg->lmtp ? R_GREETING_LMTP : R_GREETING, NULL);
	session_after_reply(s);
	while (!s->done) {
		if (linebuf_stop) {	/* SIGTERM: no further command */
			session_say(s, R_STOPPING, NULL);
			break;
		}
		if (!linebuf_has_line(&s->in))
			deliver_ctx_release(s->dctx);	/* we may wait */
		learner_before_read(cfg);
		st = linebuf_getline(&s->in, COMMAND_LINE_MAX, &line, &len,
		    &flags);
		if (st == LINE_EOF || st == LINE_ERROR) {
			s->eof = 1;
			break;
		}
		if (st == LINE_TIMEOUT || st == LINE_STOPPED) {
			session_say(s, st == LINE_TIMEOUT ? R_TIMEOUT :
			    R_STOPPING, NULL);
			break;
		}
		/* a client that starts with bare LF is not an MTA relaying
		 * someone else's message: let LF end its lines (unstuff.c) */
		if (!s->seen_line && st == LINE_OK && !(flags & LINE_CRLF))
			s->lf_mode = 1;
		s->seen_line = 1;
		s->last_code = 0;
		s->last_id = R_NONE;
		/* a line too long is not at hand: it was discarded */
		learner_read(cfg, st == LINE_OK ? line : "",
		    st == LINE_OK ? len : 0);
		s->typed = st == LINE_OK ? line : NULL;
		if (st == LINE_TOO_LONG)
			session_say(s, R_LINE_TOO_LONG, NULL);
		else if (flags & (LINE_HAS_CR | LINE_HAS_NUL) &&
		    strncasecmp(line, "BDAT", 4) == 0) {
			/* its size cannot be trusted: no way to frame */
			session_say(s, R_SYNTAX_BDAT, NULL);
			s->done = 1;
		} else if (flags & (LINE_HAS_CR | LINE_HAS_NUL))
			session_say(s, R_BAD_BYTES, NULL);
		else
			dispatch(s, line, len);
		/* a person at a terminal is learning, not attacking */
		if (s->last_code >= 500 && ++s->rejected >= MAX_REJECTED &&
		    !cfg->interactive) {
			session_say(s, R_TOO_MANY_ERRORS, NULL);
			s->done = 1;
		}
		session_after_reply(s);
		s->typed = NULL;
	}
	if (cfg->hints) {
		outbuf_flush(&s->out);
		learner_session_end(cfg, s->closing, s->eof);
	}
	session_close(s);
	learner_end(cfg);
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
	enum reply_id r;
	size_t verblen;
	char *arg;

	/* trailing blanks are invisible to a person typing: drop them */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	verblen = strcspn(line, " ");
	arg = line + verblen;
	while (*arg == ' ')
		arg++;
	s->arg[0] = '\0';
	c = lookup(s, line, verblen);
	if (c->verb == NULL)
		r = unknown(s, line, verblen);
	else if (!(c->states & STATE_BIT(s->state)))
		r = out_of_order(s, c);
	else if ((c->arg == ARG_NONE && *arg != '\0') ||
	    (c->arg == ARG_NEED && *arg == '\0')) {
		util_strlcpy(s->arg, c->verb, sizeof(s->arg));
		r = c->syntax;
	} else {
		s->cmd = c;
		r = c->handler(s, arg);
	}
	if (r != R_NONE)
		session_say(s, r, s->arg);
}

/*
 * An unknown verb: guess.c says what was meant when one guess fits;
 * a real verb glued to what follows is one whose first four letters
 * name a command that works here.
 */
static enum reply_id
unknown(struct session *s, const char *line, size_t verblen)
{
	const struct command *c = lookup(s, line, 4);
	const char *glued = c->verb != NULL && c->handler != session_refused ?
	    c->verb : NULL;

	return guess_unknown(line, verblen, s->cfg->lmtp, glued, s->arg,
	    sizeof(s->arg));
}

/*
 * HELO, EHLO and LHLO (RFC 2033 4.1): the name is one word of printable
 * ASCII (RFC 5321 4.1.1.1 asks for a domain or an address literal; any
 * word is accepted, as the seeds' "helo xxx" shows clients send, but
 * nothing that could break the Received header).  EHLO lists the
 * extensions after the greeting line.
 */
static enum reply_id
greet(struct session *s, char *arg, const char *verb, int esmtp)
{
	static const enum reply_id ehlo[] = { R_HELO, R_EHLO_PIPELINING,
	    R_EHLO_SIZE, R_EHLO_8BITMIME, R_EHLO_STARTTLS, R_EHLO_ENHANCED,
	    R_EHLO_SMTPUTF8, R_EHLO_HELP, R_EHLO_CHUNKING };
	enum reply_id ids[sizeof(ehlo) / sizeof(*ehlo)];
	const char *args[sizeof(ehlo) / sizeof(*ehlo)];
	char size[24];
	size_t i, n = 0;

	if (!util_is_word(arg, 255)) {
		util_strlcpy(s->arg, verb, sizeof(s->arg));
		return R_SYNTAX_HELO;
	}
	util_strlcpy(s->helo, arg, sizeof(s->helo));
	s->esmtp = esmtp;
	session_reset(s);
	session_set_state(s, ST_GREETED);
	if (!esmtp) {
		util_strlcpy(s->arg, arg, sizeof(s->arg));
		return R_HELO;
	}
	snprintf(size, sizeof(size), "%llu", s->cfg->max_size);
	for (i = 0; i < sizeof(ehlo) / sizeof(*ehlo); i++) {
		/* RFC 3207 4.2: not offered once TLS is on */
		if (ehlo[i] == R_EHLO_STARTTLS &&
		    (s->cfg->tls.wrapper == TLS_NONE || s->tls))
			continue;
		ids[n] = ehlo[i];
		args[n++] = ehlo[i] == R_HELO ? arg :
		    ehlo[i] == R_EHLO_SIZE ? size : NULL;
	}
	say_lines(s, ids, args, n);
	return R_NONE;
}

static enum reply_id
cmd_helo(struct session *s, char *arg)
{
	return greet(s, arg, "HELO", 0);
}

/* EHLO, and LHLO in LMTP mode (RFC 2033 4.1). */
static enum reply_id
cmd_ehlo(struct session *s, char *arg)
{
	return greet(s, arg, s->cfg->lmtp ? "LHLO" : "EHLO", 1);
}

static enum reply_id
cmd_mail(struct session *s, char *arg)
{
	enum reply_id r;

	if (s->cfg->tls.required && !s->tls)
		return R_TLS_REQUIRED;	/* -S */
	r = envelope_mail(s->cfg, s->esmtp, &s->txn, arg, s->arg,
	    sizeof(s->arg));
	if (r == R_SENDER_OK)
		session_set_state(s, ST_MAIL);
	else
		log_refused(s, "MAIL", arg, r);
	return r;
}

static enum reply_id
cmd_rcpt(struct session *s, char *arg)
{
	enum reply_id r;

	if (s->bdat)
		return R_RCPT_AFTER_BDAT;	/* the message has begun */
	r = envelope_rcpt(s->cfg, s->esmtp, &s->txn, arg, s->arg,
	    sizeof(s->arg));
	if (r == R_RCPT_OK)
		session_set_state(s, ST_RCPT);
	else
		log_refused(s, "RCPT", arg, r);
	if (r == R_UNKNOWN_USER)
		r = session_throttle(s);
	return r;
}

/*
 * A refused MAIL or RCPT, one line: the address as the client wrote it
 * (the path, up to its closing bracket, escaped into one field), the
 * reply and its reason (smtpd.8: LOGGING).
 */
static void
log_refused(const struct session *s, const char *verb, const char *arg,
    enum reply_id r)
{
	char path[ADDR_MAILBOX_MAX + 8], field[4 * sizeof(path)];
	const char *p = strchr(arg, ':') != NULL ? strchr(arg, ':') + 1 : arg;
	size_t n;

	(void)s;
	while (*p == ' ')
		p++;
	if (*p == '<' && strchr(p, '>') != NULL) {
		n = (size_t)(strchr(p, '>') - p) - 1;
		p++;
	} else
		n = strcspn(p, " ");
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, p, n);
	path[n] = '\0';
	log_field(field, sizeof(field), path);
	log_info("refused cmd=%s addr=<%s> code=%d esc=%s reason=%s", verb,
	    field, reply_table[r].code,
	    reply_table[r].esc != NULL ? reply_table[r].esc : "-",
	    reply_reason(r));
}

static enum reply_id
cmd_rset(struct session *s, char *arg)
{
	(void)arg;
	session_reset(s);
	return R_RSET;
}

static enum reply_id
cmd_quit(struct session *s, char *arg)
{
	(void)arg;
	s->done = 1;
	return R_QUIT;
}

/* A command whose reply never varies: the table's answer column. */
static enum reply_id
cmd_fixed(struct session *s, char *arg)
{
	(void)arg;
	return s->cmd->answer;
}

/* A verb refused by name: obsolete, or an extension not offered. */
enum reply_id
session_refused(struct session *s, char *arg)
{
	(void)arg;
	util_strlcpy(s->arg, s->cmd->verb, sizeof(s->arg));
	return s->cmd->answer;
}

/*
 * HELP lists every command; HELP VERB explains one, with an example
 * (RFC 5321 4.1.1.8: 214, multiline).  An unknown topic gets 504.
 */
static enum reply_id
cmd_help(struct session *s, char *arg)
{
	char text[HELP_LINES_MAX][HELP_LINE_SIZE];
	const char *lines[HELP_LINES_MAX];
	enum reply_id ids[HELP_LINES_MAX];
	size_t len = strcspn(arg, " "), i;
	int n;

	arg[len] = '\0';	/* HELP MAIL FROM: explains MAIL */
	if ((n = help_text(arg, s->cfg->lmtp, text, HELP_LINES_MAX)) <= 0) {
		/* echo only printable ASCII, and not much of it */
		util_printable(s->arg, 24, arg);
		return R_HELP_UNKNOWN;
	}
	for (i = 0; i < HELP_LINES_MAX; i++) {	/* all: clang-tidy */
		ids[i] = R_HELP;
		lines[i] = text[i];
	}
	say_lines(s, ids, lines, (size_t)n);
	return R_NONE;
}
