/* ISC license. */
/*
 * Guided lessons (-L NAME, smtpd.8: LESSONS): a seed tutorial replayed
 * step by step.  The steps, the lines to type and the notes are data,
 * the files lessons/NAME.txt, which lessons/lessons.awk turns into
 * lesson_table at build time, so the binary needs no file at run
 * time.  The coaching goes to stderr; stdout stays the SMTP session,
 * byte for byte as without -L.
 */
#ifndef LESSON_H
#define LESSON_H

#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "reply.h"

/* One line of a message typed after DATA, with its note (or NULL). */
struct lesson_line {
	const char	*text;
	const char	*note_en;
	const char	*note_ja;
};

/*
 * One step: a command line to type, or (text NULL) a whole message,
 * lines[0..nlines) up to the lone dot.  reply is what smtpd answers
 * it; why comes before the step, after after its reply (how the seed's
 * server answered, and why smtpd differs).  A text of several lines
 * holds '\n's.
 */
struct lesson_step {
	const char		 *text;
	const struct lesson_line *lines;
	size_t			  nlines;
	enum reply_id		  reply;
	const char		 *why_en, *why_ja;
	const char		 *after_en, *after_ja;
};

struct lesson {
	const char		 *name;		/* NULL ends lesson_table */
	const char		 *host;		/* the seed's server: -n */
	const char		 *about_en, *about_ja;	/* one line */
	const char		 *intro_en, *intro_ja;
	const char		 *end_en, *end_ja;
	const struct lesson_step *steps;
	size_t			  nsteps;
};

extern const struct lesson lesson_table[];	/* lesson_data.c */

/* A lesson's store when the command line names none: one mbox per
 * recipient in the current directory, so every copy can be seen. */
#define LESSON_MBOX	"./%u@%d.mbox"

struct lesson_run;

const struct lesson *lesson_find(const char *);
int	lesson_names(char *, size_t);
void	lesson_list(int, int);
struct lesson_run *lesson_start(const struct lesson *, int);
void	lesson_free(struct lesson_run *);
void	lesson_prompt(struct lesson_run *);
void	lesson_typed(struct lesson_run *, const char *, size_t);
void	lesson_after_reply(struct lesson_run *, const struct config *,
	    enum reply_id, const struct addr *, size_t);
void	lesson_end(struct lesson_run *, const struct config *);

#endif
