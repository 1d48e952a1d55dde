/* ISC license. */
/*
 * What HELP says (RFC 5321 4.1.1.8) and the "did you mean" guesses for
 * mistyped commands: one table of every verb with its syntax, meaning
 * and an example line, shared by both.
 */
#ifndef HELP_H
#define HELP_H

#include <stddef.h>

/* Longest HELP text line; well inside RFC 5321 4.5.3.1.5's 512 octets. */
#define HELP_LINE_SIZE	120
#define HELP_LINES_MAX	24

int	help_text(const char *, int, char [][HELP_LINE_SIZE], size_t);
const char *help_guess_verb(const char *, size_t, int);
int	help_is_near(const char *, size_t, const char *);

#endif
