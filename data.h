/* ISC license. */
/*
 * The message body after DATA, as a byte-level state machine: finds the
 * end of data, removes the dot-stuffing, turns line ends into LF and
 * notes what makes a message unacceptable.  It knows nothing of I/O, so
 * the session, the tests and the fuzzers all drive it the same way.
 */
#ifndef DATA_H
#define DATA_H

#include <stddef.h>

/* Why a message must be refused once its end is reached. */
#define DATA_BARE_CR	0x01
#define DATA_BARE_LF	0x02
#define DATA_NUL	0x04

struct data_state {
	int			 state;
	int			 lf_mode;	/* a bare LF ends a line too */
	int			 flags;		/* DATA_* */
	unsigned long long	 size;		/* RFC 1870 octets so far */
};

/* Output may exceed input by this much: a CR held back from last time. */
#define DATA_OUT_SLACK	2

void	data_begin(struct data_state *, int);
size_t	data_feed(struct data_state *, const char *, size_t, char *,
	    size_t *, int *);

#endif
