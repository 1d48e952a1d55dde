/* ISC license. */
/*
 * Bounded line reader and buffered writer on raw file descriptors.
 * The reader never grows: a command longer than its limit is reported
 * and discarded through its LF.  Before any read that could block, the
 * writer is flushed, so pipelined replies go out in one write and the
 * output bytes never depend on how the input was chunked (RFC 2920).
 */
#ifndef LINEBUF_H
#define LINEBUF_H

#include <signal.h>
#include <stddef.h>

#define LINEBUF_SIZE	65536
#define OUTBUF_SIZE	4096

enum line_status {
	LINE_OK,
	LINE_TOO_LONG,	/* over the limit; discarded through its LF */
	LINE_EOF,	/* end of input; a partial last line is dropped */
	LINE_TIMEOUT,
	LINE_TOO_SLOW,	/* data below the rate floor (linebuf_rate_begin) */
	LINE_STOPPED,	/* linebuf_stop was set: no more waiting */
	LINE_ERROR
};

/* How a line read by linebuf_getline() ended and what it holds. */
#define LINE_CRLF	0x01	/* ended in CR LF (else bare LF) */
#define LINE_HAS_CR	0x02	/* a CR not followed by LF inside */
#define LINE_HAS_NUL	0x04	/* a NUL octet inside */

/* Why an outbuf stopped writing. */
#define OUTBUF_GONE	1	/* a write failed: the client is gone */
#define OUTBUF_STUCK	2	/* the client took nothing for a timeout */

struct outbuf {
	int	 fd;
	int	 timeout_ms;	/* per wait for room; <= 0 waits forever */
	int	 sock_timed;	/* a socket whose sends time out alone */
	/* called before anything is written (the session lets go of a
	 * kept mailbox: deliver_mbox.c relies on it), or NULL */
	void	(*before_write)(void *);
	void	*before_arg;
	int	 failed;	/* OUTBUF_*, 0 while writing works */
	size_t	 len;
	char	 buf[OUTBUF_SIZE];
};

struct linebuf {
	int		 fd;
	int		 timeout_ms;	/* per wait; <= 0 waits forever */
	int		 eof;
	unsigned	 rate_min;	/* octets a second; 0: no floor */
	long long	 rate_start_ms;
	unsigned long long rate_octets;	/* consumed since rate_start_ms */
	size_t		 start, end;	/* unread bytes are buf[start..end) */
	struct outbuf	*flush_first;	/* flushed before blocking reads */
	int		 sock_timed;	/* a socket whose reads time out alone */
	/* told every octet as it is consumed, in order (transcripts) */
	void		(*tap)(void *, const char *, size_t);
	void		*tap_arg;
	char		 buf[LINEBUF_SIZE];
};

/*
 * Set by a signal handler (SIGTERM: systemd stopping the unit, inetd
 * restarting): the reader waits for the client no more, and says
 * LINE_STOPPED instead.  What is already buffered is still read.
 */
extern volatile sig_atomic_t linebuf_stop;

int	linebuf_stop_on(int);
void	linebuf_init(struct linebuf *, int, int, struct outbuf *);
enum line_status linebuf_getline(struct linebuf *, size_t, char **,
	    size_t *, int *);
enum line_status linebuf_peek(struct linebuf *, const char **, size_t *);
void	linebuf_consume(struct linebuf *, size_t);
size_t	linebuf_pending(const struct linebuf *);
int	linebuf_has_line(const struct linebuf *);
size_t	linebuf_restart(struct linebuf *, int);
void	linebuf_rate_begin(struct linebuf *, unsigned);
void	linebuf_rate_end(struct linebuf *);

void	outbuf_init(struct outbuf *, int, int);
void	outbuf_put(struct outbuf *, const char *, size_t);
size_t	outbuf_room(const struct outbuf *);
int	outbuf_flush(struct outbuf *);

#endif
