/* ISC license. */
/*
 * "Did you mean": what a mistyped command most likely meant, for the
 * replies that say so.  A learner's typing slips (HLEO, MAIL form:,
 * a missing bracket) get a reply that shows the fix.
 */
#ifndef GUESS_H
#define GUESS_H

#include <stddef.h>

#include "reply.h"

enum reply_id guess_unknown(const char *, size_t, int, const char *,
	    char *, size_t);
enum reply_id guess_keyword(const char *, const char *, enum reply_id,
	    enum reply_id);
int	guess_path(const char *, int, char *, size_t);

#endif
