/* ISC license. */
/*
 * The message after DATA: read through its end (unstuff.c finds it)
 * into the spool, whatever its size, with the idle timeout and the
 * rate floor (smtpd.8: -t).
 */
#ifndef BODY_H
#define BODY_H

#include "deliver.h"
#include "linebuf.h"
#include "reply.h"
#include "spool.h"
#include "unstuff.h"

/* What body_receive() works with; the caller owns every part. */
struct body {
	struct linebuf		*in;
	struct spool		*spool;
	struct deliver_ctx	*dctx;		/* let go before a wait */
	int			 lf_mode;	/* a bare LF ends lines */
	unsigned long long	 max_size;	/* -s */
	char			*decoded;	/* LINEBUF_SIZE + UNSTUFF_SLACK */
};

enum reply_id body_receive(const struct body *);

#endif
