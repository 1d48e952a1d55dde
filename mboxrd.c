/* ISC license. */
/*
 * Buffered output to an mbox, and the mboxrd quoting of a message's
 * text.  The text comes in pieces (the spool's), and a line may start
 * in one and be decided in the next: its start ('>'s, then part of
 * "From ") is held back until it is known whether to quote it.
 */
#include <errno.h>
#include <string.h>

#include "mboxrd.h"
#include "util.h"

static void	flush(struct mboxrd *);
static size_t	plain_lines(const char *, size_t);
static void	pending(struct mboxrd *);
static void	quote(struct mboxrd *, const char *, size_t);

/* Output to fd through buf[0..size); the text starts a line. */
void
mboxrd_init(struct mboxrd *o, int fd, char *buf, size_t size)
{
	o->fd = fd;
	o->failed = 0;
	o->at_bol = 1;
	o->gt = o->from = 0;
	o->written = 0;
	o->len = 0;
	o->size = size;
	o->buf = buf;
}

/* Write out the buffer; after a failure, nothing more is written. */
static void
flush(struct mboxrd *o)
{
	if (o->len > 0 && o->failed == 0) {
		if (util_write_all(o->fd, o->buf, o->len) == -1)
			o->failed = errno;
		else
			o->written += (off_t)o->len;
	}
	o->len = 0;
}

/* Octets as they are: the From_ line and the headers smtpd adds. */
void
mboxrd_put(struct mboxrd *o, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (o->len == o->size)
			flush(o);
		k = o->size - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
}

/* Emit the '>'s and the part of "From " held back at a line start. */
static void
pending(struct mboxrd *o)
{
	for (; o->gt > 0; o->gt--)
		mboxrd_put(o, ">", 1);
	mboxrd_put(o, "From ", o->from);
	o->from = 0;
}

/*
 * How much of p[0..n), inside a line, can go out as it is: through the
 * end of that line and of every following one that starts with
 * neither '>' nor 'F', so cannot need quoting; all of it when no line
 * end comes.  One copy for a run of lines rather than one a line.
 */
static size_t
plain_lines(const char *p, size_t n)
{
	const char *lf;
	size_t run = 0;

	for (;;) {
		if ((lf = memchr(p + run, '\n', n - run)) == NULL)
			return n;
		run = (size_t)(lf - p) + 1;
		if (run == n || p[run] == '>' || p[run] == 'F')
			return run;
	}
}

/*
 * Copy message text, quoting every line that matches ^>*From with one
 * more '>' (mboxrd).  Works across piece boundaries: the start of a
 * line is held back until decided.
 */
static void
quote(struct mboxrd *o, const char *p, size_t n)
{
	size_t run;

	while (n > 0) {
		if (!o->at_bol) {
			run = plain_lines(p, n);
			mboxrd_put(o, p, run);
			o->at_bol = p[run - 1] == '\n';
			p += run;
			n -= run;
			continue;
		}
		if (*p == '>' && o->from == 0) {
			o->gt++;
			p++;
			n--;
			continue;
		}
		if (*p == "From "[o->from]) {
			p++;
			n--;
			if (++o->from == 5) {
				mboxrd_put(o, ">", 1);
				pending(o);
				o->at_bol = 0;
			}
			continue;
		}
		pending(o);
		o->at_bol = 0;
	}
}

/*
 * One piece of message text, quoted; the shape spool_copy() calls.
 * -1 with errno once a write has failed, so no more is read.
 */
int
mboxrd_quote(void *arg, const char *p, size_t n)
{
	struct mboxrd *o = arg;

	quote(o, p, n);
	if (o->failed != 0) {
		errno = o->failed;
		return -1;
	}
	return 0;
}

/*
 * End the message: what was held back, then the blank line that ends
 * a message in an mbox, all written out.  0, or the errno of the first
 * failed write.
 */
int
mboxrd_finish(struct mboxrd *o)
{
	pending(o);
	mboxrd_put(o, "\n", 1);
	flush(o);
	return o->failed;
}
