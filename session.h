/* ISC license. */
/*
 * One SMTP (RFC 5321) or LMTP (RFC 2033) session over a pair of file
 * descriptors: the command table, its handlers and the transaction.
 */
#ifndef SESSION_H
#define SESSION_H

#include "addr.h"
#include "deliver.h"
#include "config.h"
#include "data.h"
#include "linebuf.h"
#include "reply.h"
#include "spool.h"
#include "transcript.h"

/* RFC 5321 4.5.3.1.4: 512 octets with CR LF */
#define COMMAND_LINE_MAX	510
/* RFC 5321 4.1.4 suggests limiting bad commands; Postfix uses 20 too */
#define MAX_REJECTED		20
/*
 * The slowest average a message may arrive at, after its first -t
 * seconds (smtpd.8: -t): a modem line carries ten times as much, and a
 * client that trickles a byte now and then cannot hold a process.
 */
#define DATA_MIN_RATE		512	/* octets a second */

/* Session states, in the order a transaction climbs them. */
enum state {
	ST_START,	/* greeted by us, not yet by the client */
	ST_GREETED,	/* after HELO, EHLO or LHLO */
	ST_MAIL,	/* after MAIL */
	ST_RCPT		/* after at least one accepted RCPT */
};

struct txn {
	struct addr		 sender;
	struct addr		*rcpts;
	size_t			 nrcpts, rcpts_cap;
	int			 smtputf8;	/* MAIL ... SMTPUTF8 */
	char			 id[32];
};

struct session {
	const struct config	*cfg;
	enum state		 state;
	int			 esmtp;		/* EHLO or LHLO, not HELO */
	int			 lf_mode;	/* bare LF ends lines */
	int			 seen_line;	/* a command line was read */
	int			 done;		/* end the session */
	int			 last_code;	/* of the latest reply */
	enum reply_id		 last_id;	/* of the latest reply, for hints */
	int			 stored;	/* a message was just delivered */
	char			 stored_where[512];	/* ... to this mailbox,
						 * for the terminal hint */
	unsigned		 rejected;	/* 5xx replies to commands */
	const char		*verb;		/* of the command at hand */
	char			 helo[256];
	struct txn		 txn;
	struct outbuf		 out;
	struct linebuf		 in;
	struct spool		 spool;
	struct transcript	*transcript;	/* -x, or NULL */
	struct deliver_ctx	*dctx;		/* kept between messages */
	char			 decoded[LINEBUF_SIZE + DATA_OUT_SLACK];
};

int	session_run(const struct config *, int, int);

/* For tests and fuzzers: a session without reading or writing yet. */
struct session *session_new(const struct config *, int, int);
void	session_free(struct session *);

#endif
