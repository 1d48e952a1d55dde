/* ISC license. */
/*
 * The message after DATA, read through its end (unstuff.c finds it),
 * or in BDAT chunks of a declared size, into the spool, whatever its
 * size, with the idle timeout and the rate floor (smtpd.8: -t).
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
	unsigned long long	*received;	/* octets read, as RFC 1870
						 * counts them, for the log */
	/* told the octets after DATA as read, or NULL (learner.h) */
	void			(*watch)(void *, const char *, size_t);
	void			*watch_arg;
};

enum reply_id body_receive(const struct body *);

/*
 * A message arriving in BDAT chunks (RFC 3030): no dot-stuffing and no
 * end line; CR LF, and a bare LF too, become the store's LF; a bare CR
 * is kept as it came.  A message that does not end in a line end gets
 * one (a CR at its very end becomes it), as every DATA message has.
 * What carries over from one chunk to the next.
 */
struct chunks {
	int			 cr;		/* the last octet read was a CR */
	int			 eol;		/* the last octet stored was LF */
	int			 nul;		/* a NUL octet was read */
	unsigned long long	 declared;	/* octets of the chunks so far */
};

void	body_chunks_begin(struct chunks *);
enum reply_id body_chunk(const struct body *, struct chunks *,
	    unsigned long long, int);
enum reply_id body_chunks_end(const struct body *, struct chunks *);

#endif
