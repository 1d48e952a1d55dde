/* ISC license. */
/*
 * STARTTLS (RFC 3207): the 220, the handover to the TLS wrapper
 * (tls.c), and the session starting over once encrypted.
 */
#include <stddef.h>

#include "log.h"
#include "session_priv.h"
#include "util.h"

static void	starttls(struct session *);

/*
 * STARTTLS (RFC 3207 4): offered only when a wrapper is there to do
 * the TLS (tls.c); without one the answer stays 502.  Not inside a
 * transaction, not twice, and with no argument.
 */
enum reply_id
session_cmd_starttls(struct session *s, char *arg)
{
	if (s->cfg->tls.wrapper == TLS_NONE && !s->tls)
		return session_refused(s, arg);
	if (s->tls)
		return R_TLS_ACTIVE;
	if (*arg != '\0') {
		util_strlcpy(s->arg, "STARTTLS", sizeof(s->arg));
		return R_NO_ARGUMENT;
	}
	if (s->state >= ST_MAIL)
		return R_TLS_IN_TXN;
	starttls(s);
	return R_NONE;
}

/*
 * The 220, then the handover to the wrapper.  Whatever the client sent
 * after the STARTTLS line came in plaintext and is never run
 * (CVE-2011-0411): it is thrown away and logged, as Postfix does.
 * After the handshake the session starts over (RFC 3207 4.2): the
 * client must greet again.  A failed handshake ends the session.
 */
static void
starttls(struct session *s)
{
	char line[REPLY_LINE_MAX + 1];
	struct tls_session ts;
	enum tls_status st;
	size_t tail;
	int n;

	n = reply_format(line, sizeof(line), R_TLS_GO, s->cfg->hostname, NULL,
	    0);
	transcript_server(s->transcript, line, (size_t)n);
	s->last_code = reply_table[R_TLS_GO].code;
	s->last_id = R_TLS_GO;
	deliver_ctx_release(s->dctx);
	if (outbuf_flush(&s->out) == -1) {
		s->done = 1;
		return;
	}
	tail = linebuf_restart(&s->in, s->in.fd);
	st = tls_start(&s->cfg->tls, s->in.fd, s->out.fd, line, (size_t)n,
	    s->cfg->timeout, &ts);
	tail += ts.discarded;
	if (tail > 0)
		log_info("discarded %zu octets sent after STARTTLS, before "
		    "the TLS handshake", tail);
	if (st != TLS_OK) {
		log_info("TLS handshake failed%s; closing",
		    st == TLS_TIMEOUT ? " (timeout)" : "");
		s->done = 1;
		return;
	}
	(void)linebuf_restart(&s->in, ts.in);
	s->out.fd = ts.out;
	s->tls = 1;
	util_strlcpy(s->tls_protocol, ts.protocol, sizeof(s->tls_protocol));
	util_strlcpy(s->tls_cipher, ts.cipher, sizeof(s->tls_cipher));
	/* tlswrapper -n says nothing: a failed handshake is an EOF later */
	if (s->cfg->tls.wrapper == TLS_TLSWRAPPER)
		log_info("TLS left to tlswrapper");
	else
		log_info("TLS started: %s %s", ts.protocol, ts.cipher);
	/* RFC 3207 4.2: forget what the client said before */
	s->helo[0] = '\0';
	s->esmtp = 0;
	session_reset(s);
	session_set_state(s, ST_START);
}
