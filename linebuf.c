/* ISC license. */
/*
 * Bounded line reader and buffered writer on raw fds, with the idle
 * timeout.  No stdio: its buffering would hide what the client sent
 * and when replies leave.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "linebuf.h"
#include "util.h"

volatile sig_atomic_t linebuf_stop;

static void	on_stop(int);
static enum line_status fill(struct linebuf *, long long);
static long long rate_deadline(const struct linebuf *);
static void	tap(struct linebuf *, const char *, size_t);
static int	write_bounded(struct outbuf *, const char *, size_t);

static void
on_stop(int sig)
{
	(void)sig;
	linebuf_stop = 1;
}

/*
 * Stop waiting for the client when sig arrives.  Without SA_RESTART a
 * wait in poll(2) ends at once with EINTR; a delivery in progress goes
 * on to its end (its own waits retry), and its reply is still sent.
 */
int
linebuf_stop_on(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	return sigaction(sig, &sa, NULL);
}

void
linebuf_init(struct linebuf *lb, int fd, int timeout_s, struct outbuf *ob)
{
	lb->fd = fd;
	lb->timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 0;
	lb->eof = 0;
	lb->rate_min = 0;
	lb->rate_start_ms = 0;
	lb->rate_octets = 0;
	lb->start = lb->end = 0;
	lb->flush_first = ob;
	lb->sock_timed = lb->timeout_ms > 0 && util_socket_timeout(fd,
	    SO_RCVTIMEO, timeout_s) == 0;
	lb->tap = NULL;
	lb->tap_arg = NULL;
}

static void
tap(struct linebuf *lb, const char *p, size_t n)
{
	if (lb->tap != NULL && n > 0)
		lb->tap(lb->tap_arg, p, n);
}

/*
 * Read once more into the buffer, waiting at most until deadline (a
 * util_now_ms() value; 0 means no deadline).  Pending replies are
 * flushed first: the client may be waiting for them before it sends
 * more.
 */
static enum line_status
fill(struct linebuf *lb, long long deadline)
{
	struct pollfd pfd;
	ssize_t n;
	int wait;

	if (lb->start == lb->end)
		lb->start = lb->end = 0;
	else if (lb->end == sizeof(lb->buf)) {
		memmove(lb->buf, lb->buf + lb->start, lb->end - lb->start);
		lb->end -= lb->start;
		lb->start = 0;
	}
	if (lb->flush_first != NULL && outbuf_flush(lb->flush_first) == -1)
		return LINE_ERROR;
	for (;;) {
		if (linebuf_stop)
			return LINE_STOPPED;	/* also after poll's EINTR */
		wait = -1;
		if (deadline != 0) {
			long long left = deadline - util_now_ms();

			if (left <= 0)
				return LINE_TIMEOUT;
			wait = left > 0x7fffffffLL ? 0x7fffffff : (int)left;
		}
		/* a whole timeout to wait, on a socket that bounds its
		 * reads by it (SO_RCVTIMEO): read at once, no poll */
		if (!lb->sock_timed || wait < lb->timeout_ms - 1) {
			pfd.fd = lb->fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (poll(&pfd, 1, wait) == -1) {
				if (errno == EINTR)
					continue;
				return LINE_ERROR;
			}
			if (pfd.revents == 0)
				continue;	/* timed out: checked at the top */
		}
		/* a timed-out read fails with EAGAIN: seen at the top */
		n = read(lb->fd, lb->buf + lb->end, sizeof(lb->buf) - lb->end);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			return LINE_ERROR;
		}
		if (n == 0)
			lb->eof = 1;
		lb->end += (size_t)n;
		return LINE_OK;
	}
}

/*
 * Return the next line, without its LF or CR LF, NUL-terminated in
 * place.  It stays valid until the next call on lb.  A line whose
 * content exceeds max octets is read through its LF, discarded, and
 * reported as LINE_TOO_LONG.  The whole line must arrive within one
 * timeout, so a client trickling bytes cannot hold a session for ever.
 */
enum line_status
linebuf_getline(struct linebuf *lb, size_t max, char **line, size_t *len,
    int *flags)
{
	long long deadline = lb->timeout_ms > 0 ?
	    util_now_ms() + lb->timeout_ms : 0;
	int discarding = 0;
	enum line_status st;
	char *p, *lf;
	size_t n;

	for (;;) {
		p = lb->buf + lb->start;
		lf = memchr(p, '\n', lb->end - lb->start);
		if (lf != NULL) {
			tap(lb, p, (size_t)(lf + 1 - p));
			lb->start = (size_t)(lf + 1 - lb->buf);
			if (discarding)
				return LINE_TOO_LONG;
			n = (size_t)(lf - p);
			*flags = 0;
			if (n > 0 && p[n - 1] == '\r') {
				*flags |= LINE_CRLF;
				n--;
			}
			if (n > max)
				return LINE_TOO_LONG;
			if (memchr(p, '\r', n) != NULL)
				*flags |= LINE_HAS_CR;
			if (memchr(p, '\0', n) != NULL)
				*flags |= LINE_HAS_NUL;
			p[n] = '\0';
			*line = p;
			*len = n;
			return LINE_OK;
		}
		/* max content, one CR, and still no LF: too long */
		if (lb->end - lb->start > max + 1) {
			discarding = 1;
			tap(lb, p, lb->end - lb->start);
			lb->start = lb->end = 0;
		}
		if (lb->eof)
			return discarding ? LINE_TOO_LONG : LINE_EOF;
		if ((st = fill(lb, deadline)) != LINE_OK)
			return st;
	}
}

/*
 * Expose the unread input as it is, reading when there is none; for
 * message data, which is not split into lines here.  Each wait gets
 * its own timeout (RFC 5321 4.5.3.2.5: the server waits per block),
 * and under a rate floor the data as a whole has a deadline too.
 */
enum line_status
linebuf_peek(struct linebuf *lb, const char **p, size_t *n)
{
	enum line_status st;
	long long deadline, floor;

	while (lb->start == lb->end) {
		if (lb->eof)
			return LINE_EOF;
		deadline = lb->timeout_ms > 0 ? util_now_ms() + lb->timeout_ms : 0;
		floor = rate_deadline(lb);
		if (floor != 0 && floor < deadline) {
			st = fill(lb, floor);
			if (st == LINE_TIMEOUT)
				return LINE_TOO_SLOW;
		} else
			st = fill(lb, deadline);
		if (st != LINE_OK)
			return st;
	}
	*p = lb->buf + lb->start;
	*n = lb->end - lb->start;
	return LINE_OK;
}

/*
 * A per-read timeout alone lets a client send one octet every few
 * seconds and hold a session (and a process) for days.  Under a floor
 * of rate_min octets a second, the data must arrive by one timeout
 * after it began plus the time the floor rate would need for what has
 * come so far; 0 when there is no such deadline.
 */
static long long
rate_deadline(const struct linebuf *lb)
{
	if (lb->rate_min == 0 || lb->timeout_ms <= 0)
		return 0;
	return lb->rate_start_ms + lb->timeout_ms +
	    (long long)(lb->rate_octets * 1000 / lb->rate_min);
}

void
linebuf_rate_begin(struct linebuf *lb, unsigned octets_per_s)
{
	lb->rate_min = octets_per_s;
	lb->rate_start_ms = util_now_ms();
	lb->rate_octets = 0;
}

void
linebuf_rate_end(struct linebuf *lb)
{
	lb->rate_min = 0;
}

/*
 * Under a rate floor, data that came early is credit for later, but at
 * most one timeout's worth: else one fast gigabyte, refused or not,
 * would buy weeks of trickling an octet per timeout.  The start of the
 * measure moves up so that the client is never further ahead of the
 * floor than that.
 */
void
linebuf_consume(struct linebuf *lb, size_t n)
{
	long long ahead;

	tap(lb, lb->buf + lb->start, n);
	lb->start += n;
	lb->rate_octets += n;
	if (lb->rate_min == 0 || lb->timeout_ms <= 0)
		return;
	ahead = lb->rate_start_ms +
	    (long long)(lb->rate_octets * 1000 / lb->rate_min) - util_now_ms();
	if (ahead > lb->timeout_ms)
		lb->rate_start_ms -= ahead - lb->timeout_ms;
}

/* How many octets were read but not yet used: pipelined input. */
size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->end - lb->start;
}

/*
 * Throw away what was read but not used and go on reading fd: the
 * session after STARTTLS (RFC 3207 4.2).  Returns how many octets went.
 */
size_t
linebuf_restart(struct linebuf *lb, int fd)
{
	size_t n = lb->end - lb->start;

	lb->start = lb->end = 0;
	lb->eof = 0;
	lb->fd = fd;
	lb->sock_timed = 0;	/* polled, whatever fd is */
	return n;
}

/* Whether a whole line is buffered: linebuf_getline() will not wait. */
int
linebuf_has_line(const struct linebuf *lb)
{
	return memchr(lb->buf + lb->start, '\n', lb->end - lb->start) != NULL;
}

/*
 * On a socket the kernel bounds each wait of a send itself
 * (SO_SNDTIMEO, POSIX), so a reply is one write(2), not a poll(2) and
 * a write: a round trip of SMTP costs a system call less (case d,
 * docs/performance.md).  Anything else (a pipe, a terminal) is polled.
 */
void
outbuf_init(struct outbuf *ob, int fd, int timeout_s)
{
	ob->fd = fd;
	ob->timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 0;
	ob->failed = 0;
	ob->len = 0;
	ob->before_write = NULL;
	ob->sock_timed = timeout_s > 0 && util_socket_timeout(fd,
	    SO_SNDTIMEO, timeout_s) == 0;
}

/*
 * Write p[0..n) to the client, each wait for it to take more bounded by
 * the timeout, as reads are: a client that sends and never reads (a
 * closed TCP window costs it nothing) must not hold the process in
 * write(2) for ever.  The descriptor stays blocking, since it may be a
 * terminal or pipe shared with others; instead poll(2) waits for room
 * and each write(2) is at most PIPE_BUF octets, which POLLOUT promises
 * on a pipe (POSIX) and which a socket that polls writable has.
 */
static int
write_bounded(struct outbuf *ob, const char *p, size_t n)
{
	struct pollfd pfd;
	long long deadline;
	size_t k;
	ssize_t w;
	int r;

	if (ob->before_write != NULL)
		ob->before_write(ob->before_arg);
	while (n > 0) {
		deadline = util_now_ms() + ob->timeout_ms;
		for (;;) {
			long long left = deadline - util_now_ms();

			if (ob->timeout_ms <= 0 || ob->sock_timed)
				break;
			if (left <= 0) {
				ob->failed = OUTBUF_STUCK;
				return -1;
			}
			pfd.fd = ob->fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			r = poll(&pfd, 1, left > 0x7fffffffLL ? 0x7fffffff :
			    (int)left);
			if (r > 0)
				break;
			if (r == -1 && errno != EINTR) {
				ob->failed = OUTBUF_GONE;
				return -1;
			}
		}
		k = ob->timeout_ms > 0 && !ob->sock_timed && n > PIPE_BUF ?
		    PIPE_BUF : n;
		if ((w = write(ob->fd, p, k)) == -1) {
			if (ob->sock_timed &&
			    (errno == EAGAIN || errno == EWOULDBLOCK)) {
				ob->failed = OUTBUF_STUCK;	/* timed out */
				return -1;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ob->failed = OUTBUF_GONE;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void
outbuf_put(struct outbuf *ob, const char *p, size_t n)
{
	if (ob->failed)
		return;
	if (ob->len + n > sizeof(ob->buf) && outbuf_flush(ob) == -1)
		return;
	if (n >= sizeof(ob->buf)) {
		(void)write_bounded(ob, p, n);
		return;
	}
	memcpy(ob->buf + ob->len, p, n);
	ob->len += n;
}

/* Octets outbuf_put() takes before it must write to the client. */
size_t
outbuf_room(const struct outbuf *ob)
{
	return sizeof(ob->buf) - ob->len;
}

/* Write what is collected. */
int
outbuf_flush(struct outbuf *ob)
{
	if (ob->failed)
		return -1;
	if (ob->len > 0 && write_bounded(ob, ob->buf, ob->len) == -1)
		return -1;
	ob->len = 0;
	return 0;
}
