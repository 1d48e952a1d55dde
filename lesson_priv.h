/* ISC license. */
/*
 * What the two files of the lessons share: lesson.c (the steps and
 * the coaching) and lesson_mail.c (the stored copies, shown at the
 * end).  Nothing else includes it; lesson.h is what others see.
 */
#ifndef LESSON_PRIV_H
#define LESSON_PRIV_H

#include <sys/types.h>

#include "hint.h"
#include "lesson.h"

/* the copies remembered for the closing display; more are counted */
#define LESSON_COPIES_MAX	16
#define LESSON_PATH_MAX		512

/* One stored copy: the mbox, where the message ends, which message. */
struct lesson_copy {
	char		 path[LESSON_PATH_MAX];
	char		 shown[LESSON_PATH_MAX];	/* lesson_printable() */
	off_t		 end;
	unsigned	 message;	/* 1 for the session's first */
};

/* the text for the language: English, or Japanese */
#define LESSON_T(lang, en, ja)	((lang) == HINT_JA ? (ja) : (en))

void	lesson_say(enum hint_lang, const char *, const char *);
void	lesson_sayf(enum hint_lang, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	lesson_same_line(const char *, const char *);
void	lesson_printable(char *, size_t, const char *);
void	lesson_mail_show(enum hint_lang, const struct lesson_copy *, size_t);
int	lesson_mail_matches(const struct lesson_copy *,
	    const struct lesson_line *, size_t, size_t *);

#endif
