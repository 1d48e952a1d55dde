/* ISC license. */
/*
 * Every line a stored message gets in front of the client's data: the
 * Received trace header (RFC 5321 4.4), the mbox From_ line,
 * Return-Path (RFC 5321 4.4) and Delivered-To.  Each is written into
 * the caller's buffer, ending in LF; each returns its length, or -1
 * when it does not fit (or the time cannot be shown).
 */
#ifndef TRACE_H
#define TRACE_H

#include <stddef.h>
#include <time.h>

/* A buffer this big holds any Received header trace_received() makes. */
#define TRACE_RECEIVED_MAX	1400

/* The longest TLS protocol or cipher name shown. */
#define TRACE_TLS_NAME_MAX	64

/* What the Received header says of one hop (RFC 5321 4.4). */
struct trace_hop {
	const char	*helo;		/* as the client gave it */
	const char	*peer;		/* its address, NULL on stdin */
	const char	*host;		/* ours (-n) */
	const char	*with;		/* RFC 3848, RFC 6531 protocol word */
	const char	*id;
	const char	*rcpt;		/* the one recipient, or NULL */
	const char	*tls_protocol;	/* "" or NULL when not told */
	const char	*tls_cipher;
	time_t		 when;
};

int	trace_received(char *, size_t, const struct trace_hop *);
int	trace_from_line(char *, size_t, const char *, time_t);
int	trace_return_path(char *, size_t, const char *);
int	trace_delivered_to(char *, size_t, const char *);

#endif
