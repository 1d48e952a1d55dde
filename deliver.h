/* ISC license. */
/*
 * Delivery of one accepted message to the configured method.  Every
 * outcome is OK, temporary or permanent, with the reply that says so
 * (struct deliver_result, in method.h with what the methods share).
 */
#ifndef DELIVER_H
#define DELIVER_H

#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "method.h"
#include "reply.h"
#include "spool.h"

/*
 * What delivery keeps for one session: the method's scratch buffer
 * and the pipe's argument buffer, allocated once, and what the method
 * keeps between messages, such as a mailbox left open and locked
 * while more pipelined input is at hand, so the next message to it
 * skips the open and both locks.  The session owns it, and lets go of
 * what it holds (deliver_ctx_release) before smtpd writes to the
 * client or waits for it: no client can keep a mailbox locked.
 */
struct deliver_ctx;

struct deliver_ctx *deliver_ctx_new(const struct config *);
void	deliver_ctx_release(struct deliver_ctx *);
void	deliver_ctx_let_go(void *);
void	deliver_ctx_free(struct deliver_ctx *);
void	deliver_prepare(struct deliver_ctx *, const struct envelope *,
	    struct spool *);
void	deliver(struct deliver_ctx *, const struct envelope *,
	    struct spool *, struct deliver_result *);
int	deliver_one_rcpt(const struct config *);
const char *deliver_check_config(const struct config *);
int	deliver_check_store(const struct config *, char *, size_t);
enum reply_id deliver_check_rcpt(const struct config *, const struct addr *);
enum reply_id deliver_check_sender(const struct config *,
	    const struct addr *);
void	deliver_names(const struct config *, const struct addr *,
	    char [ADDR_LOCAL_MAX + 1], char [ADDR_DOMAIN_MAX + 1]);
int	deliver_destination(const struct config *, const struct addr *,
	    char *, size_t);

#endif
