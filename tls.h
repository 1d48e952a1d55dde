/* ISC license. */
/*
 * TLS without a TLS library: the two ways a wrapper process lends its
 * TLS to a stdio server.  UCSPI-TLS (s6-ucspitlsd, sslserver -n,
 * ucspi-tls(2) of ucspi-ssl) names three descriptors in the
 * environment; tlswrapper -n (-W) gives a control pipe on descriptor
 * 5.  A wrapper that does the handshake before smtpd starts (SMTPS,
 * RFC 8314) is implicit TLS (-I).
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>

/* Longest protocol or cipher name kept for the Received header. */
#define TLS_NAME_MAX	64

enum tls_wrapper {
	TLS_NONE,	/* no wrapper: STARTTLS is not offered */
	TLS_UCSPI,	/* SSLCTLFD, SSLREADFD, SSLWRITEFD */
	TLS_TLSWRAPPER	/* -W: tlswrapper -n, control pipe on fd 5 */
};

/* What the command line and the environment say about TLS. */
struct tls_config {
	enum tls_wrapper	 wrapper;	/* for STARTTLS */
	int			 ctl_fd;	/* SSLCTLFD, or 5 for -W */
	int			 read_fd;	/* SSLREADFD */
	int			 write_fd;	/* SSLWRITEFD */
	int			 implicit;	/* -I: encrypted from the start */
	int			 required;	/* -S: TLS before MAIL */
	int			 use_tlswrapper; /* -W given */
	char			 protocol[TLS_NAME_MAX]; /* for implicit TLS, */
	char			 cipher[TLS_NAME_MAX];	/* when the wrapper says */
};

/* The session after a successful handover. */
struct tls_session {
	int		 in, out;	/* descriptors to use from now on */
	size_t		 discarded;	/* plaintext octets thrown away */
	char		 protocol[TLS_NAME_MAX];	/* "" when not told */
	char		 cipher[TLS_NAME_MAX];
};

enum tls_status {
	TLS_OK,
	TLS_FAILED,	/* the wrapper reported no handshake, or is gone */
	TLS_TIMEOUT	/* it said nothing within the timeout */
};

const char *tls_config_read(struct tls_config *);
enum tls_status tls_start(const struct tls_config *, int, int,
	    const char *, size_t, int, struct tls_session *);
void	tls_parse_environment(const char *, size_t, char *, char *);
void	tls_name(char *, const char *);

#endif
