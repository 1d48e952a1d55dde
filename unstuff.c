/* ISC license. */
/*
 * End of data, dot-unstuffing and line ends (RFC 5321 4.1.1.4, 4.5.2).
 *
 * Policy against SMTP smuggling (CVE-2023-51764/51765/51766): in a
 * normal session only CR LF "." CR LF ends the data.  A bare LF ends a
 * content line, as Postfix's smtpd_forbid_bare_newline = normalize
 * does, but the line after it is stored as it comes: no dot is taken
 * off it and it can never end the data, since only a line begun after
 * CR LF can (whose one leading dot goes, whatever ends the line).  A bare CR ends nothing; it marks the message, which is
 * then refused whole when the real end arrives.  So no byte sequence
 * inside a message can end it early, and the text after such a
 * sequence can never be read as a command.
 *
 * In lf_mode (a person at a terminal, or a client that used bare LF
 * from its very first line) LF ends every line and an optional CR
 * before it is dropped.  A relaying MTA always sends CR LF, so a body
 * it relays can never put a session into lf_mode.
 *
 * Output lines end in LF alone, the form mailboxes store.
 */
#include <string.h>

#include "unstuff.h"

enum {
	DS_BOL,		/* at the start of a line */
	DS_DOT,		/* a "." at the start of a line */
	DS_DOT_CR,	/* "." CR at the start of a line */
	DS_MID,		/* inside a line */
	DS_MID_CR	/* CR inside a line */
};

#define NUL_AHEAD	4096	/* octets looked at for NUL in one scan */

static size_t	plain_run(const char *, size_t, size_t, size_t *);

/*
 * How many octets at in + i (of n) are plain text: neither CR, LF nor
 * NUL.  memchr() passes (the C library's vectorised scan) instead of a
 * loop over octets: this is the inner loop for every byte of every
 * message.  in[0..*clean) is known to hold no NUL; a line that runs
 * past it moves it on by a scan of NUL_AHEAD octets more, so a large
 * message is scanned for NUL in big pieces, not a line at a time, and a
 * small one is not scanned through the rest of the buffer, which may
 * hold many more pipelined messages (docs/performance.md, case b).
 */
static size_t
plain_run(const char *in, size_t i, size_t n, size_t *clean)
{
	const char *p = in + i, *stop;
	size_t len = n - i, end;

	if ((stop = memchr(p, '\n', len)) != NULL)
		len = (size_t)(stop - p);
	if ((stop = memchr(p, '\r', len)) != NULL)
		len = (size_t)(stop - p);
	if (i + len > *clean) {
		if (*clean < i)
			*clean = i;	/* past a NUL just taken */
		end = n - (i + len) > NUL_AHEAD ? i + len + NUL_AHEAD : n;
		if ((stop = memchr(in + *clean, '\0', end - *clean)) != NULL) {
			*clean = (size_t)(stop - in);
			if (i + len > *clean)
				len = *clean - i;
		} else
			*clean = end;
	}
	return len;
}

void
unstuff_begin(struct unstuff *ds, int lf_mode)
{
	ds->state = DS_BOL;	/* DATA's own CR LF precedes the first line */
	ds->lf_mode = lf_mode;
	ds->flags = 0;
	ds->size = 0;
}

/*
 * Consume in[0..n) and append the decoded text to out, which must have
 * room for n + UNSTUFF_SLACK octets; *outlen is how much was written.
 * Returns how much input was used: less than n only when the end of
 * data was found, which sets *done; what follows is the next command.
 */
size_t
unstuff_feed(struct unstuff *ds, const char *in, size_t n, char *out,
    size_t *outlen, int *done)
{
	size_t i = 0, o = 0, run, clean = 0;
	char c;

	*done = 0;
	while (i < n) {
		c = in[i];
		switch (ds->state) {
		case DS_BOL:
			if (c == '.') {
				ds->state = DS_DOT;	/* dropped: unstuffing */
				i++;
				continue;
			}
			ds->state = DS_MID;
			continue;	/* look at c again inside the line */
		case DS_DOT:
			if (c == '\r') {
				ds->state = DS_DOT_CR;
				i++;
				continue;
			}
			if (c == '\n' && ds->lf_mode) {
				*done = 1;
				i++;
				goto out;
			}
			ds->state = DS_MID;
			continue;
		case DS_DOT_CR:
			if (c == '\n') {
				*done = 1;
				i++;
				goto out;
			}
			ds->state = DS_MID_CR;	/* the CR was inside a line */
			continue;
		case DS_MID:
			/* fast path: copy up to the next CR, LF or NUL, and
			 * on through the usual line end, CR LF before a line
			 * that does not start with '.', without going round
			 * the states (about 9% of the instructions for a
			 * large message, docs/performance.md) */
			for (;;) {
				run = plain_run(in, i, n, &clean);
				memcpy(out + o, in + i, run);
				o += run;
				i += run;
				if (n - i < 3 || in[i] != '\r' ||
				    in[i + 1] != '\n' || in[i + 2] == '.')
					break;
				out[o++] = '\n';
				ds->size++;	/* RFC 1870 counts the CR */
				i += 2;
			}
			if (i == n)
				goto out;
			c = in[i++];
			if (c == '\r') {
				ds->state = DS_MID_CR;
				continue;
			}
			if (c == '\0')
				ds->flags |= UNSTUFF_NUL;
			out[o++] = c;
			/* a bare LF ends a line, but the next one is taken
			 * as it comes: no dot removed, and no end of data */
			if (c == '\n' && ds->lf_mode)
				ds->state = DS_BOL;
			continue;
		case DS_MID_CR:
			if (c == '\n') {
				out[o++] = '\n';
				ds->size++;	/* RFC 1870 counts the CR */
				ds->state = DS_BOL;
				i++;
				continue;
			}
			ds->flags |= UNSTUFF_BARE_CR;
			out[o++] = '\r';
			ds->state = DS_MID;
			continue;
		}
	}
out:
	ds->size += o;
	*outlen = o;
	return i;
}
