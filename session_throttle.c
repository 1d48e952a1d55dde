/* ISC license. */
/*
 * The dictionary-attack throttle of the session (-U, smtpd.8): how
 * long an unknown recipient's reply waits, and when the session ends.
 */
#include <errno.h>
#include <time.h>

#include "session_priv.h"

/* the longest one throttled reply waits (-U) */
#define THROTTLE_MAX_MS		30000

static void	pause_ms(long long);

/*
 * The dictionary-attack throttle (-U, as qmail's addrcheck): past the
 * first unknown recipients each further 550 waits, twice as long each
 * time, and at the limit the session gets 421 and ends.  A wait holds
 * no mailbox (deliver_ctx_release) and the replies before it are sent.
 */
enum reply_id
session_throttle(struct session *s)
{
	const struct config *cfg = s->cfg;
	unsigned k;
	long long ms;

	/* a terminal's learner is not harvesting addresses */
	if (++s->unknown >= cfg->unknown_limit && !cfg->interactive) {
		s->done = 1;
		return R_TOO_MANY_UNKNOWN;
	}
	if (s->unknown <= cfg->unknown_after || cfg->unknown_delay_ms == 0)
		return R_UNKNOWN_USER;
	ms = cfg->unknown_delay_ms;
	for (k = s->unknown - cfg->unknown_after; k > 1 &&
	    ms < THROTTLE_MAX_MS; k--)
		ms *= 2;
	if (ms > THROTTLE_MAX_MS)
		ms = THROTTLE_MAX_MS;
	deliver_ctx_release(s->dctx);
	(void)outbuf_flush(&s->out);
	pause_ms(ms);
	return R_UNKNOWN_USER;
}

/* Sleep ms milliseconds, through signals. */
static void
pause_ms(long long ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !linebuf_stop)
		continue;
}
