/* ISC license. */
/* Reading a message into the spool: after DATA, or in BDAT chunks. */
#include <errno.h>
#include <string.h>

#include "body.h"
#include "log.h"

/*
 * The slowest average a message may arrive at, after its first -t
 * seconds (smtpd.8: -t): a modem line carries ten times as much, and a
 * client that trickles a byte now and then cannot hold a process.
 */
#define DATA_MIN_RATE		512	/* octets a second */

static enum reply_id ended(enum line_status);

static size_t	chunk_decode(struct chunks *, const char *, size_t, char *);

/* Why reading stopped short, as the reply (or R_SHUTDOWN: none). */
static enum reply_id
ended(enum line_status st)
{
	switch (st) {
	case LINE_TIMEOUT:
		return R_TIMEOUT;
	case LINE_TOO_SLOW:
		return R_TOO_SLOW;
	case LINE_STOPPED:
		return R_STOPPING;
	default:
		return R_SHUTDOWN;	/* the client is gone */
	}
}

/*
 * Read the message through its end into the spool.  Errors are sticky:
 * the data is read to its end whatever happens, and only then answered
 * (RFC 5321 4.1.1.4).  Returns R_NONE when the message may be
 * delivered, R_TIMEOUT, R_TOO_SLOW, R_STOPPING or R_SHUTDOWN when the session
 * cannot go on, or the reply that refuses the message.
 */
enum reply_id
body_receive(const struct body *b)
{
	struct unstuff u;
	enum line_status st;
	const char *in;
	size_t n, used, outlen;
	int done = 0, too_big = 0;

	unstuff_begin(&u, b->lf_mode);
	linebuf_rate_begin(b->in, DATA_MIN_RATE);
	while (!done) {
		if (linebuf_pending(b->in) == 0)
			deliver_ctx_release(b->dctx);	/* we may wait */
		st = linebuf_peek(b->in, &in, &n);
		if (st != LINE_OK) {
			linebuf_rate_end(b->in);
			return ended(st);
		}
		used = unstuff_feed(&u, in, n, b->decoded, &outlen, &done);
		if (b->watch != NULL)
			b->watch(b->watch_arg, in, used);
		linebuf_consume(b->in, used);
		*b->received = u.size;
		if (u.size > b->max_size)
			too_big = 1;
		/* past any refusal, the data is only read, not kept */
		if (!too_big && u.flags == 0)
			(void)spool_write(b->spool, b->decoded, outlen);
	}
	linebuf_rate_end(b->in);
	if (too_big)
		return R_TOO_BIG;
	if (u.flags & UNSTUFF_NUL)
		return R_NUL_IN_DATA;
	if (u.flags & UNSTUFF_BARE_CR)
		return R_BARE_NEWLINE;
	if (b->spool->error != 0) {
		errno = b->spool->error;
		log_warn("spool");
		return method_outcome_errno(b->spool->error).reply;
	}
	return R_NONE;
}

void
body_chunks_begin(struct chunks *c)
{
	c->cr = 0;
	c->eol = 1;	/* after the Received header */
	c->nul = 0;
	c->declared = 0;
}

/*
 * Turn in[0..n) into the store's form at out (room for n + 1): CR LF
 * and LF become LF, a CR not followed by LF stays.  A CR at the end is
 * held in c->cr, since its LF may come with the next read or chunk.
 */
static size_t
chunk_decode(struct chunks *c, const char *in, size_t n, char *out)
{
	const char *cr;
	size_t i = 0, o = 0, run;

	if (!c->nul && memchr(in, '\0', n) != NULL)
		c->nul = 1;
	while (i < n) {
		if (c->cr) {
			c->cr = 0;
			if (in[i] != '\n')
				out[o++] = '\r';
		}
		/* fast path: copy up to the next CR */
		cr = memchr(in + i, '\r', n - i);
		run = cr != NULL ? (size_t)(cr - (in + i)) : n - i;
		memcpy(out + o, in + i, run);
		o += run;
		i += run;
		if (i < n) {
			c->cr = 1;
			i++;
		}
	}
	if (o > 0)
		c->eol = out[o - 1] == '\n';
	return o;
}

/*
 * Read exactly n octets of one chunk, into the spool when keep is set
 * and nothing was wrong so far, else only to skip them.  Returns
 * R_NONE when the chunk is in, R_TIMEOUT, R_TOO_SLOW or R_SHUTDOWN when
 * the session cannot go on (the chunk never came whole), or the reply
 * that refuses the message.  The idle timeout and the rate floor apply
 * as in DATA, so a client that declares a huge chunk and sends nothing
 * holds the process for one timeout.
 */
enum reply_id
body_chunk(const struct body *b, struct chunks *c, unsigned long long n,
    int keep)
{
	enum line_status st;
	const char *in;
	size_t avail, outlen;

	linebuf_rate_begin(b->in, DATA_MIN_RATE);
	while (n > 0) {
		if (linebuf_pending(b->in) == 0)
			deliver_ctx_release(b->dctx);	/* we may wait */
		st = linebuf_peek(b->in, &in, &avail);
		if (st != LINE_OK) {
			linebuf_rate_end(b->in);
			return ended(st);
		}
		if (avail > n)
			avail = (size_t)n;
		if (keep && !c->nul) {
			outlen = chunk_decode(c, in, avail, b->decoded);
			if (!c->nul)
				(void)spool_write(b->spool, b->decoded, outlen);
		}
		linebuf_consume(b->in, avail);
		n -= avail;
	}
	linebuf_rate_end(b->in);
	if (!keep)
		return R_NONE;
	if (c->nul)
		return R_NUL_IN_DATA;
	if (b->spool->error != 0) {
		errno = b->spool->error;
		log_warn("spool");
		return method_outcome_errno(b->spool->error).reply;
	}
	return R_NONE;
}

/*
 * After the LAST chunk: the message ends in a line end, which a CR held
 * at its very end becomes, so the mbox separator and the next From_
 * line stay on lines of their own.
 */
enum reply_id
body_chunks_end(const struct body *b, struct chunks *c)
{
	if (c->cr || !c->eol)
		(void)spool_write(b->spool, "\n", 1);
	c->cr = 0;
	c->eol = 1;
	if (b->spool->error != 0) {
		errno = b->spool->error;
		log_warn("spool");
		return method_outcome_errno(b->spool->error).reply;
	}
	return R_NONE;
}
