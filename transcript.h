/* ISC license. */
/*
 * -x DIR: a record of each session, one file per session, in the format
 * of tools/transcript-format.txt: what the client sent on "C:" lines,
 * what smtpd answered on "S:" lines, after a header of "#" lines.
 * tools/smtpd-replay plays such a file back against smtpd.
 */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <stddef.h>

#include "config.h"

/* Octets kept of one command line or of one message's data. */
#define TRANSCRIPT_CAP	65536
/* Octets, both ways, after which a session is no longer recorded. */
#define TRANSCRIPT_SESSION_MAX	16777216	/* 16 MiB */

struct transcript;

struct transcript *transcript_open(const struct config *);
void	transcript_client(void *, const char *, size_t);
void	transcript_server(struct transcript *, const char *, size_t);
void	transcript_data(struct transcript *, int);
void	transcript_close(struct transcript *);

#endif
