/* ISC license. */
/*
 * The PROXY protocol, versions 1 (text) and 2 (binary), as HAProxy's
 * proxy-protocol.txt defines them: a load balancer in front of smtpd
 * sends one header before the client's first octet, naming the client.
 * Only from the sources named with -P, and there it is required.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>

struct config;

#define PROXY_V1_MAX		107	/* the whole line, CR LF included */
#define PROXY_V2_HEAD		16	/* signature, version, family, length */
#define PROXY_V2_LEN_MAX	1024	/* addresses and TLVs; more is refused */
#define PROXY_MAX		(PROXY_V2_HEAD + PROXY_V2_LEN_MAX)
#define PROXY_TIMEOUT_S		5	/* for the whole header */
#define PROXY_ADDR_MAX		80	/* an address as options.c writes it */

/* One -P source: ADDR[/LEN]. */
struct proxy_net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned	 prefix;	/* bits that must match */
	unsigned char	 addr[16];
};

enum proxy_result {
	PROXY_MORE,	/* complete so far; *need octets in all are wanted */
	PROXY_CLIENT,	/* a client address: h->client */
	PROXY_LOCAL,	/* v2 LOCAL, v2 UNSPEC or v1 UNKNOWN: no client */
	PROXY_BAD	/* malformed, oversized or an unknown family */
};

struct proxy_header {
	int		 version;	/* 1 or 2 */
	unsigned	 port;		/* the client's port */
	char		 client[PROXY_ADDR_MAX];	/* as Received shows it */
	const char	*why;		/* for PROXY_BAD: one phrase */
};

enum proxy_result proxy_parse(const unsigned char *, size_t, size_t *,
	    struct proxy_header *);
enum proxy_result proxy_read(int, int, struct proxy_header *);
int	proxy_net_parse(const char *, struct proxy_net *);
int	proxy_trusted(const struct proxy_net *, size_t, const char *);
int	proxy_accept(struct config *, int);
int	proxy_address_text(char *, size_t, int, const void *);

#endif
