/* ISC license. */
/* Deterministic benchmark messages and their wire and mailbox forms. */
#include <stdio.h>
#include <string.h>

#include "msg.h"

#define LINE_LEN	76
#define HEADER_LINES	3	/* X-Bench, Subject, the blank line */

/* Printable ASCII in order: no run of it can spell "From ". */
static char	pattern[2 * 94];

static uint32_t
next_random(uint32_t *x)
{
	/* xorshift32: fast, and the same sequence everywhere */
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Message number index, of about size octets of body text. */
void
msg_begin(struct msg *m, unsigned long index, unsigned long size)
{
	size_t i;

	if (pattern[0] == '\0')
		for (i = 0; i < sizeof(pattern); i++)
			pattern[i] = (char)('!' + i % 94);
	m->index = index;
	m->size = size;
	m->line = 0;
	m->nlines = HEADER_LINES + (size / (LINE_LEN + 1) > 0 ?
	    size / (LINE_LEN + 1) : 1);
	m->rng = (uint32_t)(index * 2654435761UL) | 1;
}

/*
 * The next line of the message, without its line end, into buf
 * (MSG_LINE_MAX octets).  Returns 0 after the last line.
 */
int
msg_next(struct msg *m, char *buf, size_t *len)
{
	static const char *const prefixes[] = { ".", "..", "From ",
	    ">From ", ">>From " };
	const char *prefix = "";
	uint32_t r;
	size_t n;

	if (m->line == m->nlines)
		return 0;
	switch (m->line++) {
	case 0:
		*len = (size_t)snprintf(buf, MSG_LINE_MAX, "X-Bench: %lu %lu",
		    m->index, m->size);
		return 1;
	case 1:
		*len = (size_t)snprintf(buf, MSG_LINE_MAX,
		    "Subject: bench message %lu", m->index);
		return 1;
	case 2:
		*len = 0;
		return 1;
	}
	r = next_random(&m->rng);
	if ((r & 15) < 5)
		prefix = prefixes[r & 15];
	n = strlen(prefix);
	memcpy(buf, prefix, n);
	memcpy(buf + n, pattern + (r >> 8) % 94, LINE_LEN - n);
	*len = LINE_LEN;
	return 1;
}

/* The line as a client sends it: dot-stuffed, CR LF (RFC 5321 4.5.2). */
size_t
msg_smtp_line(const char *line, size_t n, char *out)
{
	size_t o = 0;

	if (n > 0 && line[0] == '.')
		out[o++] = '.';
	memcpy(out + o, line, n);
	o += n;
	out[o++] = '\r';
	out[o++] = '\n';
	return o;
}

/* The line as an mboxrd mailbox stores it: ^>*From gets one more '>'. */
size_t
msg_mbox_line(const char *line, size_t n, char *out)
{
	size_t o = 0, gt = 0;

	while (gt < n && line[gt] == '>')
		gt++;
	if (n - gt >= 5 && memcmp(line + gt, "From ", 5) == 0)
		out[o++] = '>';
	memcpy(out + o, line, n);
	o += n;
	out[o++] = '\n';
	return o;
}
