/* ISC license. */
/*
 * The benchmark's messages: deterministic text, so a checker can build
 * every message again from its index and compare the mailbox byte for
 * byte.  Lines are 76 octets; some start with "." (dot-stuffed on the
 * wire) or "From " / ">From " (quoted in an mboxrd mailbox).
 */
#ifndef BENCH_MSG_H
#define BENCH_MSG_H

#include <stddef.h>
#include <stdint.h>

#define MSG_LINE_MAX	128	/* room for one generated line */

struct msg {
	unsigned long	 index;	/* written into the message, so the */
	unsigned long	 size;	/* checker can find both again */
	unsigned long	 line, nlines;
	uint32_t	 rng;
};

void	msg_begin(struct msg *, unsigned long, unsigned long);
int	msg_next(struct msg *, char *, size_t *);
size_t	msg_smtp_line(const char *, size_t, char *);
size_t	msg_mbox_line(const char *, size_t, char *);

#endif
