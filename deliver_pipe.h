/* ISC license. */
/* Delivering one message to a program's stdin, judged by its exit status. */
#ifndef DELIVER_PIPE_H
#define DELIVER_PIPE_H

#include "deliver.h"

#define EX_NOUSER		67	/* <sysexits.h> is not POSIX */
#define PIPE_DETAIL_MAX		120	/* octets of stderr for the reply */

/*
 * argv[0] must be an absolute path; argv ends with NULL.  timeout_s
 * bounds the whole run (0 or less: no bound).  The caller must ignore
 * SIGPIPE, as smtpd does, or a program that stops reading kills it.
 */
struct deliver_result deliver_pipe(char *const [], const struct envelope *,
	    const struct addr *, struct spool *, int);

#endif
