/* ISC license. */
/*
 * What a person typing at smtpd in a terminal is told besides SMTP: a
 * hint on stderr after each reply (hint.c holds the texts), whether
 * the mail store can be written, where a delivered message went or why
 * it was not delivered, what in a message will not do what was meant,
 * and that the session is over; or with -L, a lesson's coaching
 * (lesson.c).  The session calls, before and after reading a command
 * line and after each reply; whether anything is shown is decided
 * here (config.hints, config.lesson).
 */
#ifndef LEARNER_H
#define LEARNER_H

#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "method.h"
#include "reply.h"

/* Octets of a body line kept to look at (learner_body.c). */
#define LEARNER_LINE_MAX	80

/*
 * What the lines of one message after DATA showed so far: fed every
 * octet read (learner_body_octets), it warns at once about a line that
 * looks like a command or like the end but is not, and keeps what is
 * said after the reply (no blank line after the headers).
 */
struct learner_body {
	const struct config	*cfg;
	unsigned long		 lines;		/* complete lines so far */
	int			 in_headers;	/* no blank line seen yet */
	int			 no_headers;	/* line 1 was not a header */
	unsigned long		 no_blank;	/* body began at this line */
	size_t			 len;		/* of line, cut at its max */
	char			 line[LEARNER_LINE_MAX + 1];
};

/* A message at its end: each recipient's outcome, or one for all. */
struct learner_message {
	const struct addr		*rcpts;
	size_t				 nrcpts;
	const struct deliver_result	*each;	/* NULL: refused for all */
	const struct deliver_result	*all;
	enum reply_id			 ended;	/* input ended inside it */
	const struct learner_body	*body;	/* NULL: BDAT */
};

int	learner_wanted(const struct config *);
void	learner_before_greeting(const struct config *);
void	learner_before_read(const struct config *);
void	learner_read(const struct config *, const char *, size_t);
void	learner_after_reply(const struct config *, enum reply_id,
	    const char *, const struct addr *, size_t);
void	learner_after_message(const struct config *,
	    const struct learner_message *);
void	learner_session_end(const struct config *, enum reply_id, int);
void	learner_end(const struct config *);

void	learner_body_begin(struct learner_body *, const struct config *);
void	learner_body_octets(void *, const char *, size_t);
void	learner_body_notes(const struct learner_body *);

#endif
