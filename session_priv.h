/* ISC license. */
/*
 * The session's own state, shared by the files of the session module
 * alone: session.c (the command table, the dispatcher and most
 * handlers), session_message.c (DATA and BDAT, delivery and the
 * replies after it) and session_tls.c (STARTTLS).  Nothing else
 * includes it; session.h is what others see.
 */
#ifndef SESSION_PRIV_H
#define SESSION_PRIV_H

#include "addr.h"
#include "body.h"
#include "config.h"
#include "deliver.h"
#include "learner.h"
#include "linebuf.h"
#include "reply.h"
#include "spool.h"
#include "tls.h"
#include "transcript.h"
#include "txn.h"
#include "unstuff.h"

/* Session states, in the order a transaction climbs them. */
enum state {
	ST_START,	/* greeted by us, not yet by the client */
	ST_GREETED,	/* after HELO, EHLO or LHLO */
	ST_MAIL,	/* after MAIL */
	ST_RCPT		/* after at least one accepted RCPT */
};

struct command;

struct session {
	const struct config	*cfg;
	enum state		 state;
	int			 esmtp;		/* EHLO or LHLO, not HELO */
	int			 tls;		/* encrypted by a wrapper */
	char			 tls_protocol[TLS_NAME_MAX];	/* or "" */
	char			 tls_cipher[TLS_NAME_MAX];	/* or "" */
	int			 lf_mode;	/* bare LF ends lines */
	int			 seen_line;	/* a command line was read */
	int			 done;		/* end the session */
	int			 last_code;	/* of the latest reply */
	enum reply_id		 last_id;	/* of the latest reply */
	const struct addr	*stored;	/* just delivered, for the learner */
	size_t			 nstored;	/* stored[0..nstored) */
	const char		*typed;		/* the command line, for the
						 * learner's hint; or NULL */
	int			 eof;		/* the input ended */
	unsigned		 rejected;	/* 5xx replies to commands */
	unsigned		 unknown;	/* 550 5.1.1 replies (-U) */
	unsigned		 messages;	/* ended, delivered or not */
	enum reply_id		 closing;	/* the 421 sent, or R_QUIT */
	unsigned long long	 received;	/* octets of this message */
	const struct command	*cmd;		/* the command at hand */
	int			 bdat;		/* BDAT began this message */
	enum reply_id		 bdat_error;	/* refused it; sticky till LAST */
	struct chunks		 chunks;
	char			 helo[256];
	char			 arg[ADDR_MAILBOX_MAX + 64];	/* the reply's */
	struct txn		 txn;
	struct outbuf		 out;
	struct linebuf		 in;
	struct spool		 spool;
	struct transcript	*transcript;	/* -x, or NULL */
	struct deliver_ctx	*dctx;		/* kept between messages */
	struct learner_body	 watch;		/* the message, for hints */
	char			 decoded[LINEBUF_SIZE + UNSTUFF_SLACK];
};

void	session_say(struct session *, enum reply_id, const char *);
void	session_after_reply(struct session *);
void	session_set_state(struct session *, enum state);
void	session_reset(struct session *);
enum reply_id session_refused(struct session *, char *);
enum reply_id session_throttle(struct session *);
enum reply_id session_cmd_data(struct session *, char *);
enum reply_id session_cmd_bdat(struct session *, char *);
enum reply_id session_cmd_starttls(struct session *, char *);

#endif
