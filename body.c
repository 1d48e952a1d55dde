/* ISC license. */
/* Reading a message through its end into the spool. */
#include <errno.h>

#include "body.h"
#include "log.h"

/*
 * The slowest average a message may arrive at, after its first -t
 * seconds (smtpd.8: -t): a modem line carries ten times as much, and a
 * client that trickles a byte now and then cannot hold a process.
 */
#define DATA_MIN_RATE		512	/* octets a second */

/*
 * Read the message through its end into the spool.  Errors are sticky:
 * the data is read to its end whatever happens, and only then answered
 * (RFC 5321 4.1.1.4).  Returns R_NONE when the message may be
 * delivered, R_TIMEOUT, R_TOO_SLOW or R_SHUTDOWN when the session
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
			return st == LINE_TIMEOUT ? R_TIMEOUT :
			    st == LINE_TOO_SLOW ? R_TOO_SLOW : R_SHUTDOWN;
		}
		used = unstuff_feed(&u, in, n, b->decoded, &outlen, &done);
		linebuf_consume(b->in, used);
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
	if (u.flags & (UNSTUFF_BARE_CR | UNSTUFF_BARE_LF))
		return R_BARE_NEWLINE;
	if (b->spool->error != 0) {
		errno = b->spool->error;
		log_warn("spool");
		return method_outcome_errno(b->spool->error).reply;
	}
	return R_NONE;
}
