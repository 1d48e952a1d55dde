/* ISC license. */
/*
 * One SMTP (RFC 5321) or LMTP (RFC 2033) session over a pair of file
 * descriptors, from the greeting to the end.
 */
#ifndef SESSION_H
#define SESSION_H

#include "config.h"

/* RFC 5321 4.5.3.1.4: a command line has 512 octets with CR LF */
#define COMMAND_LINE_MAX	510

int	session_run(const struct config *, int, int);

#endif
