/* ISC license. */
/* The sender and recipients of a transaction, as the client gives them. */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stddef.h>

#include "config.h"
#include "reply.h"
#include "txn.h"

enum reply_id envelope_mail(const struct config *, int, struct txn *,
	    const char *, char *, size_t);
enum reply_id envelope_rcpt(const struct config *, int, struct txn *,
	    const char *, char *, size_t);

#endif
