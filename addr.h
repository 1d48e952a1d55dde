/* ISC license. */
/*
 * RFC 5321 paths (4.1.2) with RFC 6531 UTF-8, and the ESMTP parameters
 * that follow them on MAIL and RCPT.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

#include "reply.h"

/* RFC 5321 4.5.3.1.1-3: local part 64, domain 255, whole path 256
 * octets, so a mailbox without its brackets has at most 254. */
#define ADDR_LOCAL_MAX	64
#define ADDR_DOMAIN_MAX	255
#define ADDR_MAILBOX_MAX 254

enum addr_status {
	ADDR_OK,
	ADDR_SYNTAX,	/* not a path */
	ADDR_NO_DOMAIN	/* a bare local part, other than postmaster */
};

struct addr {
	char	 mailbox[ADDR_MAILBOX_MAX + 1];	/* "" for the null path <> */
	size_t	 local_len;	/* mailbox[0..local_len) is the local part */
	int	 utf8;		/* holds non-ASCII octets (RFC 6531) */
	int	 postmaster;	/* <postmaster> without a domain */
	/* an alias's target (-R), whose mailbox %u and %d name; "" for
	 * none.  mailbox stays as the client wrote it. */
	char	 to_local[ADDR_LOCAL_MAX + 1];
	char	 to_domain[ADDR_DOMAIN_MAX + 1];
};

enum addr_status addr_parse_path(const char *, int, struct addr *,
	    const char **);
int	addr_next_param(const char **, const char **, size_t *,
	    const char **, size_t *);
const char *addr_domain(const struct addr *);
void	addr_local_folded(const struct addr *, char [ADDR_LOCAL_MAX + 1]);
int	utf8_valid(const char *, size_t);
enum reply_id addr_mail_params(const char *, int, unsigned long long,
	    int *, char *, size_t);

#endif
