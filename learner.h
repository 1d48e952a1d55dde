/* ISC license. */
/*
 * What a person typing at smtpd in a terminal is told besides SMTP: a
 * hint on stderr after each reply (hint.c holds the texts), and where
 * a delivered message went; or with -L, a lesson's coaching (lesson.c).
 * The session makes one call after each reply, and for a lesson one
 * before and one after reading a command line and one at its end;
 * whether anything is shown is decided here.
 */
#ifndef LEARNER_H
#define LEARNER_H

#include "addr.h"
#include "config.h"
#include "reply.h"

int	learner_wanted(const struct config *);
void	learner_before_read(const struct config *);
void	learner_read(const struct config *, const char *, size_t);
void	learner_after_reply(const struct config *, enum reply_id,
	    const struct addr *, size_t);
void	learner_end(const struct config *);

#endif
