/* ISC license. */
/*
 * The message body after DATA, as a byte-level state machine: finds the
 * end of data, removes the dot-stuffing, turns line ends into LF and
 * notes what makes a message unacceptable.  It knows nothing of I/O, so
 * the session, the tests and the fuzzers all drive it the same way.
 */
#ifndef UNSTUFF_H
#define UNSTUFF_H

#include <stddef.h>

/* Why a message must be refused once its end is reached. */
#define UNSTUFF_BARE_CR	0x01
#define UNSTUFF_NUL	0x04

struct unstuff {
	int			 state;
	int			 lf_mode;	/* a bare LF ends a line too */
	int			 flags;		/* DATA_* */
	unsigned long long	 size;		/* RFC 1870 octets so far */
};

/* Output may exceed input by this much: a CR held back from last time. */
#define UNSTUFF_SLACK	2

void	unstuff_begin(struct unstuff *, int);
size_t	unstuff_feed(struct unstuff *, const char *, size_t, char *,
	    size_t *, int *);

#endif
