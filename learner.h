/* ISC license. */
/*
 * What a person typing at smtpd in a terminal is told besides SMTP: a
 * hint on stderr after each reply (hint.c holds the texts), and where
 * a delivered message went.  The session makes one call after each
 * reply; whether anything is shown is decided here.
 */
#ifndef LEARNER_H
#define LEARNER_H

#include "addr.h"
#include "config.h"
#include "reply.h"

void	learner_after_reply(const struct config *, enum reply_id,
	    const struct addr *);

#endif
