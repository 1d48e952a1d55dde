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

void	deliver(const struct config *, const struct envelope *,
	    struct spool *, struct deliver_result *);
const char *deliver_check_config(const struct config *);
enum reply_id deliver_check_rcpt(const struct config *, const struct addr *);
enum reply_id deliver_check_sender(const struct config *,
	    const struct addr *);
int	deliver_destination(const struct config *, const struct addr *,
	    char *, size_t);
struct deliver_result deliver_result_errno(int);
struct deliver_result deliver_outcome(enum deliver_status, enum reply_id);

#endif
