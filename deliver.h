/* ISC license. */
/*
 * Delivery of one accepted message to the configured method.  Every
 * outcome is OK, temporary or permanent, with the reply that says so.
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "reply.h"
#include "spool.h"

struct envelope {
	const struct addr	*sender;
	const struct addr	*rcpts;
	size_t			 nrcpts;
	const char		*id;
	time_t			 when;
};

enum deliver_status {
	DELIVER_OK,
	DELIVER_TEMP,
	DELIVER_PERM
};

struct deliver_result {
	enum deliver_status	 status;
	enum reply_id		 reply;
	char			 detail[160];	/* for the reply's "%s" */
};

/*
 * What delivery keeps between the messages of one session: a mailbox
 * left open and locked while more pipelined input is at hand, so the
 * next message to it skips the open and both locks.  The session owns
 * it, and lets go of what it holds (deliver_ctx_release) before smtpd
 * writes to the client or waits for it: no client can keep a mailbox
 * locked.
 */
struct deliver_ctx;

struct deliver_ctx *deliver_ctx_new(const struct config *);
void	deliver_ctx_release(struct deliver_ctx *);
void	deliver_ctx_free(struct deliver_ctx *);
void	deliver(struct deliver_ctx *, const struct envelope *,
	    struct spool *, struct deliver_result *);
int	deliver_one_rcpt(const struct config *);
const char *deliver_check_config(const struct config *);
enum reply_id deliver_check_rcpt(const struct config *, const struct addr *);
enum reply_id deliver_check_sender(const struct config *,
	    const struct addr *);
int	deliver_destination(const struct config *, const struct addr *,
	    char *, size_t);
struct deliver_result deliver_result_errno(int);
struct deliver_result deliver_outcome(enum deliver_status, enum reply_id);

#endif
