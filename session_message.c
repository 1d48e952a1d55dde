/* ISC license. */
/*
 * The message of a transaction: DATA (RFC 5321 4.1.1.4) or BDAT chunks
 * (RFC 3030), read into the spool behind the Received header (body.c
 * reads), then delivered, and the replies after it: one in SMTP, one
 * per accepted recipient in LMTP (RFC 2033 4.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "session_priv.h"
#include "trace.h"
#include "util.h"

static void	envelope_of(struct session *, struct envelope *);
static void	begin_message(struct session *);
static int	write_received(struct session *);
static void	body_of(struct session *, struct body *);
static enum reply_id receive_message(struct session *);
static void	say_outcome(struct session *, const struct deliver_result *,
		    const struct addr *);
static void	end_message(struct session *, enum reply_id);
static void	after_message(struct session *, enum reply_id,
		    const struct deliver_result *, const struct deliver_result *);
static int	parse_bdat(const char *, unsigned long long *, int *);
static enum reply_id chunk_refusal(struct session *, unsigned long long);
static void	say_refusal(struct session *, enum reply_id);
static void	skip_chunk(struct session *, enum reply_id, unsigned long long,
		    int);
static void	take_chunk(struct session *, unsigned long long, int);

static void
envelope_of(struct session *s, struct envelope *env)
{
	env->sender = &s->txn.sender;
	env->rcpts = s->txn.rcpts;
	env->nrcpts = s->txn.nrcpts;
	env->id = s->txn.id;
	env->when = util_now();
}

/*
 * A message begins: its id, where its spool may go (deliver_prepare:
 * a Maildir's file, written once), and its Received header.
 */
static void
begin_message(struct session *s)
{
	struct envelope env;

	util_make_id(s->txn.id, sizeof(s->txn.id));
	envelope_of(s, &env);
	deliver_prepare(s->dctx, &env, &s->spool);
	if (write_received(s) == -1)
		log_warn("spool");
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
	struct trace_hop h;
	int n;

	if (s->cfg->lmtp)
		h.with = s->tls ? "LMTPS" : "LMTP";
	else if (!s->esmtp)
		h.with = "SMTP";
	else if (s->txn.smtputf8)
		h.with = s->tls ? "UTF8SMTPS" : "UTF8SMTP";
	else
		h.with = s->tls ? "ESMTPS" : "ESMTP";
	h.helo = s->helo;
	h.peer = s->cfg->peer;
	h.host = s->cfg->hostname;
	h.id = s->txn.id;
	h.rcpt = s->txn.nrcpts == 1 ? s->txn.rcpts[0].mailbox : NULL;
	h.tls_protocol = s->tls ? s->tls_protocol : NULL;
	h.tls_cipher = s->tls ? s->tls_cipher : NULL;
	h.when = util_now();
	if ((n = trace_received(buf, sizeof(buf), &h)) == -1)
		return -1;
	return spool_write(&s->spool, buf, (size_t)n);
}

/* What body.c reads the message with. */
static void
body_of(struct session *s, struct body *b)
{
	b->in = &s->in;
	b->spool = &s->spool;
	b->dctx = s->dctx;
	b->lf_mode = s->lf_mode;
	b->max_size = s->cfg->max_size;
	b->decoded = s->decoded;
	b->received = &s->received;
	b->watch = NULL;
	b->watch_arg = NULL;
}

/* The message after DATA, behind its Received header (body.c). */
static enum reply_id
receive_message(struct session *s)
{
	struct body b;

	body_of(s, &b);
	if (s->cfg->hints) {
		learner_body_begin(&s->watch, s->cfg);
		b.watch = learner_body_octets;
		b.watch_arg = &s->watch;
	}
	return body_receive(&b);
}

/* The reply for one delivery outcome. */
static void
say_outcome(struct session *s, const struct deliver_result *r,
    const struct addr *rcpt)
{
	if (r->reply == R_DATA_OK && s->cfg->lmtp) {
		snprintf(s->arg, sizeof(s->arg), "<%s> as %s", rcpt->mailbox,
		    s->txn.id);
		session_say(s, R_LMTP_DELIVERED, s->arg);
	} else if (r->reply == R_DATA_OK)
		session_say(s, R_DATA_OK, s->txn.id);
	else if (r->reply == R_TOO_BIG) {
		snprintf(s->arg, sizeof(s->arg), "%llu", s->cfg->max_size);
		session_say(s, R_TOO_BIG, s->arg);
	}
	else
		session_say(s, r->reply, r->detail);
}

enum reply_id
session_cmd_data(struct session *s, char *arg)
{
	(void)arg;
	if (s->bdat)
		return R_DATA_AFTER_BDAT;	/* RFC 3030 2: no mixing */
	begin_message(s);
	session_say(s, R_DATA_GO, NULL);
	session_after_reply(s);
	s->typed = NULL;	/* the message overwrites the line */
	transcript_data(s->transcript, 1);
	end_message(s, receive_message(s));
	return R_NONE;
}

/*
 * After the final dot or the LAST chunk, with r what reading the
 * message ended in (R_NONE: deliver it): one reply in SMTP, one per
 * accepted recipient in their RCPT order in LMTP (RFC 2033 4.2; RFC
 * 3030 4.2 for BDAT).  A message refused as a whole gets the same
 * refusal for each.  250 only once delivery is done, and fsynced.
 */
static void
end_message(struct session *s, enum reply_id r)
{
	struct deliver_result *each, refused;
	struct envelope env;
	size_t i, ok = 0;
	char outcome[64];

	transcript_data(s->transcript, 0);
	if (r == R_TIMEOUT || r == R_TOO_SLOW || r == R_STOPPING ||
	    r == R_SHUTDOWN) {
		if (r != R_SHUTDOWN)
			session_say(s, r, NULL);
		s->eof = r == R_SHUTDOWN;
		after_message(s, r, NULL, NULL);
		txn_log(&s->txn, s->received,
		    "not delivered: input ended inside the message");
		s->messages++;
		session_reset(s);
		s->done = 1;
		return;
	}
	if ((each = calloc(s->txn.nrcpts, sizeof(*each))) == NULL) {
		r = R_LOCAL_ERROR;
		refused = method_outcome(DELIVER_TEMP, r);
	} else if (r != R_NONE) {
		refused = method_outcome(DELIVER_PERM, r);
		if (reply_table[r].code < 500)	/* the spool, logged */
			log_last(refused.why, sizeof(refused.why));
		for (i = 0; i < s->txn.nrcpts; i++)
			each[i] = refused;
	} else {
		envelope_of(s, &env);
		deliver(s->dctx, &env, &s->spool, each);
		/* no next command at hand: keeping the mailbox locked
		 * would only make other sessions wait for our syslog */
		if (linebuf_pending(&s->in) == 0)
			deliver_ctx_release(s->dctx);
	}
	for (i = 0; i < s->txn.nrcpts; i++) {
		const struct deliver_result *res = each != NULL ? &each[i] :
		    &refused;

		if (res->status == DELIVER_OK && ok++ == 0) {
			s->stored = &s->txn.rcpts[i];
			s->nstored = 1;
		}
		if (i == 0 || s->cfg->lmtp)
			say_outcome(s, res, &s->txn.rcpts[i]);
	}
	if (ok == s->txn.nrcpts)	/* every copy: the learner sees all */
		s->nstored = ok;
	if (ok == s->txn.nrcpts)
		snprintf(outcome, sizeof(outcome), "delivered");
	else if (ok == 0)
		snprintf(outcome, sizeof(outcome), "not delivered: %d %s",
		    reply_table[(each != NULL ? each : &refused)->reply].code,
		    reply_table[(each != NULL ? each : &refused)->reply].esc);
	else
		snprintf(outcome, sizeof(outcome), "delivered to %zu of %zu",
		    ok, s->txn.nrcpts);
	after_message(s, R_NONE, each, &refused);
	txn_log(&s->txn, s->received, outcome);
	s->messages++;
	free(each);
	/* a refused message does not count toward MAX_REJECTED */
	s->last_code = 0;
	session_reset(s);
}

/*
 * The learner's aids after the replies that end a message (ended: the
 * input ended inside it), which first need those replies on screen;
 * each recipient's outcome is in each, or, with each NULL, in all.
 */
static void
after_message(struct session *s, enum reply_id ended,
    const struct deliver_result *each, const struct deliver_result *all)
{
	struct learner_message m;

	if (!s->cfg->hints)
		return;
	if (ended == R_SHUTDOWN)
		s->last_id = R_NONE;	/* no reply: the input ended */
	session_after_reply(s);
	s->last_id = R_NONE;	/* said: not again after the command */
	m.rcpts = s->txn.rcpts;
	m.nrcpts = s->txn.nrcpts;
	m.each = each;
	m.all = all;
	m.ended = ended;
	m.body = s->bdat ? NULL : &s->watch;
	learner_after_message(s->cfg, &m);
}

/*
 * RFC 3030 3: "BDAT" SP chunk-size [ SP "LAST" ], chunk-size 1*DIGIT.
 * -1 when the size is no number or does not fit in 64 bits: then
 * nobody knows where the chunk ends.
 */
static int
parse_bdat(const char *arg, unsigned long long *n, int *last)
{
	const char *p = arg;

	*n = 0;
	if (util_decimal(&p, n) != 1)
		return -1;
	*last = 0;
	if (*p == '\0')
		return 0;
	if (*p++ != ' ')
		return -1;
	while (*p == ' ')
		p++;
	if (strcasecmp(p, "LAST") != 0)
		return -1;
	*last = 1;
	return 0;
}

/*
 * Why a chunk of n octets cannot be taken, or R_NONE.  The first BDAT
 * after RCPT begins the message: its id and its Received header.
 */
static enum reply_id
chunk_refusal(struct session *s, unsigned long long n)
{
	if (s->state == ST_START)
		return s->cfg->lmtp ? R_NEED_LHLO : R_NEED_HELO;
	if (s->state == ST_GREETED)
		return R_NEED_MAIL;
	if (s->state == ST_MAIL)
		return R_NEED_RCPT;
	if (!s->bdat) {
		s->bdat = 1;
		body_chunks_begin(&s->chunks);
		begin_message(s);
	}
	if (s->bdat_error != R_NONE)
		return s->bdat_error;
	/* RFC 1870 6.1, RFC 3030 4.2: refuse what will not fit at once */
	if (n > s->cfg->max_size ||
	    s->chunks.declared > s->cfg->max_size - n)
		return s->bdat_error = R_TOO_BIG;
	s->chunks.declared += n;
	return R_NONE;
}

/* A refusal of one chunk; a refused message counts as no error. */
static void
say_refusal(struct session *s, enum reply_id r)
{
	if (r == R_TOO_BIG)
		snprintf(s->arg, sizeof(s->arg), "%llu", s->cfg->max_size);
	session_say(s, r, s->arg);
	if (r != R_NEED_HELO && r != R_NEED_LHLO && r != R_NEED_MAIL &&
	    r != R_NEED_RCPT)
		s->last_code = 0;
}

/*
 * A refused chunk: the reply at once, then its octets are read and
 * dropped, or they would be taken for commands.  A chunk larger than
 * -s is more than any message here may be: after -s octets of it the
 * session ends, so no client holds a process with an endless chunk.
 */
static void
skip_chunk(struct session *s, enum reply_id r, unsigned long long n,
    int last)
{
	unsigned long long room = s->cfg->max_size;
	struct body b;
	enum reply_id st;

	if (last && s->bdat)
		end_message(s, r);	/* one refusal per recipient in LMTP */
	else
		say_refusal(s, r);
	body_of(s, &b);
	transcript_data(s->transcript, 1);
	s->received += n < room ? n : room;
	st = body_chunk(&b, &s->chunks, n < room ? n : room, 0);
	transcript_data(s->transcript, 0);
	if (st != R_NONE) {
		if (st != R_SHUTDOWN)
			session_say(s, st, NULL);
		if (s->bdat)
			txn_log(&s->txn, s->received,
			    "not delivered: input ended inside the message");
		session_reset(s);
		s->done = 1;
	} else if (n > room) {
		session_say(s, R_CHUNK_ABANDONED, NULL);
		s->done = 1;
	}
}

/* A chunk of the message, into the spool; LAST ends the message. */
static void
take_chunk(struct session *s, unsigned long long n, int last)
{
	struct body b;
	enum reply_id r;

	body_of(s, &b);
	transcript_data(s->transcript, 1);
	s->received += n;
	r = body_chunk(&b, &s->chunks, n, 1);
	if (r == R_NONE && last)
		r = body_chunks_end(&b, &s->chunks);
	if (last || r == R_TIMEOUT || r == R_TOO_SLOW || r == R_STOPPING ||
	    r == R_SHUTDOWN) {
		end_message(s, r);
		return;
	}
	transcript_data(s->transcript, 0);
	if (r != R_NONE) {
		s->bdat_error = r;
		say_refusal(s, r);
		return;
	}
	snprintf(s->arg, sizeof(s->arg), "%llu", n);
	session_say(s, R_CHUNK_OK, s->arg);
}

/*
 * BDAT size [LAST] (RFC 3030): exactly size octets follow the command
 * line, whatever its reply, else a message's text would be read as
 * commands.  Each chunk gets its reply; LAST's comes after delivery,
 * as the final dot's does.  A size that cannot be read leaves no way
 * to find the next command: 501, and the session ends.
 */
enum reply_id
session_cmd_bdat(struct session *s, char *arg)
{
	unsigned long long n;
	enum reply_id r;
	int last;

	if (parse_bdat(arg, &n, &last) == -1) {
		s->done = 1;
		return R_SYNTAX_BDAT;
	}
	if ((r = chunk_refusal(s, n)) != R_NONE)
		skip_chunk(s, r, n, last);
	else
		take_chunk(s, n, last);
	return R_NONE;
}
