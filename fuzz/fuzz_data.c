/* ISC license. */
/*
 * libFuzzer target: data.c, the end of DATA and dot-unstuffing.  The
 * first octet picks LF mode (bit 0) and a chunk size (the rest); the
 * body is fed once whole and once in chunks of that size.
 *
 * Oracles:
 * - chunking changes nothing: output, octets used, end found, flags
 *   and size are the same either way (RFC 2920: the input may be cut
 *   anywhere);
 * - in a normal (CR LF) session the result equals a plain reference
 *   decoder written from RFC 5321 4.1.1.4 and 4.5.2: the data ends at
 *   the first line "." (only CR LF ends a line), one leading dot is
 *   removed from every other line, CR LF becomes LF, and any other CR,
 *   LF or a NUL is flagged.  So no smuggling variant ends the data.
 */
#include <stdlib.h>
#include <string.h>

#include "unstuff.h"
#include "fuzz_util.h"

struct result {
	char			*out;
	size_t			 outlen, used;
	int			 done, flags;
	unsigned long long	 size;
};

static void	feed(const char *, size_t, int, size_t, struct result *);
static void	reference(const char *, size_t, struct result *);
static void	same(const struct result *, const struct result *, int);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Feed in[0..n) in chunks of at most chunk octets until the end. */
static void
feed(const char *in, size_t n, int lf_mode, size_t chunk, struct result *r)
{
	struct unstuff ds;
	size_t i = 0, k, used, o;

	r->out = malloc(n + UNSTUFF_SLACK + 1);
	if (r->out == NULL)
		fuzz_fail("out of memory");
	r->outlen = 0;
	r->done = 0;
	unstuff_begin(&ds, lf_mode);
	while (i < n && !r->done) {
		k = n - i < chunk ? n - i : chunk;
		used = unstuff_feed(&ds, in + i, k, r->out + r->outlen, &o,
		    &r->done);
		if (used > k || (used < k && !r->done))
			fuzz_fail("used %zu of %zu without the end", used, k);
		r->outlen += o;
		if (r->outlen > i + used + UNSTUFF_SLACK)
			fuzz_fail("output grew past the input");
		i += used;
	}
	r->used = i;
	r->flags = ds.flags;
	r->size = ds.size;
}

/*
 * RFC 5321 without shortcuts, for CR LF sessions: lines end at CR LF
 * only.  Partial last lines are left out of out (data.c may hold back
 * their start), so only complete lines are compared unless done.
 */
static void
reference(const char *in, size_t n, struct result *r)
{
	const char *p = in, *end = in + n, *eol, *q;
	size_t len;

	r->out = malloc(n + 1);
	if (r->out == NULL)
		fuzz_fail("out of memory");
	r->outlen = 0;
	r->done = 0;
	r->flags = 0;
	r->size = 0;
	for (;;) {
		for (eol = p; eol + 1 < end && !(eol[0] == '\r' &&
		    eol[1] == '\n'); eol++)
			;
		if (eol + 1 >= end)
			break;	/* no CR LF: a partial line */
		len = (size_t)(eol - p);
		if (len == 1 && p[0] == '.') {
			r->done = 1;
			p = eol + 2;
			break;
		}
		if (len > 0 && p[0] == '.') {
			p++;	/* RFC 5321 4.5.2: remove one dot */
			len--;
		}
		for (q = p; q < p + len; q++) {
			if (*q == '\r')
				r->flags |= UNSTUFF_BARE_CR;
			else if (*q == '\0')
				r->flags |= UNSTUFF_NUL;
		}
		memcpy(r->out + r->outlen, p, len);
		r->outlen += len;
		r->out[r->outlen++] = '\n';
		r->size += len + 2;
		p = eol + 2;
	}
	r->used = (size_t)(p - in);
}

static void
same(const struct result *a, const struct result *b, int whole)
{
	if (a->done != b->done)
		fuzz_fail("end of data: %d against %d", a->done, b->done);
	if (!a->done && !whole)
		return;
	if (a->used != b->used || a->outlen != b->outlen ||
	    memcmp(a->out, b->out, a->outlen) != 0)
		fuzz_fail("output or octets used differ");
	if (a->flags != b->flags || a->size != b->size)
		fuzz_fail("flags %d/%d or size %llu/%llu differ", a->flags,
		    b->flags, a->size, b->size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, chunked, ref;
	const char *in = (const char *)data + 1;
	size_t n, chunk;
	int lf_mode;

	if (size == 0)
		return 0;
	lf_mode = data[0] & 1;
	chunk = (size_t)(data[0] >> 1) + 1;
	n = size - 1;
	feed(in, n, lf_mode, n > 0 ? n : 1, &whole);
	feed(in, n, lf_mode, chunk, &chunked);
	same(&whole, &chunked, 1);
	if (!lf_mode) {
		reference(in, n, &ref);
		same(&whole, &ref, 0);
		/* not done: every complete line was given out already */
		if (!whole.done && (whole.outlen < ref.outlen ||
		    memcmp(whole.out, ref.out, ref.outlen) != 0))
			fuzz_fail("complete lines not given out as decoded");
		free(ref.out);
	}
	free(whole.out);
	free(chunked.out);
	return 0;
}
