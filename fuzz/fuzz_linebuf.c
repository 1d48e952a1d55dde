/* ISC license. */
/*
 * libFuzzer target: linebuf.c, the bounded line reader.  The first
 * octet picks the line limit; the rest is the input, read through a
 * file descriptor as the session reads its client.
 *
 * Oracle: a reference splitter written from the header's contract.
 * Lines end at LF; one CR before it is removed and noted; a line whose
 * content exceeds the limit is LINE_TOO_LONG and never returned; any
 * other CR or a NUL inside is flagged; a partial last line is dropped
 * at EOF unless it is already too long.  Each line comes back
 * NUL-terminated in place and holds no LF.  The tap (which feeds -x
 * transcripts) sees exactly the input, in order, up to where reading
 * stopped, and at least every complete line.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linebuf.h"
#include "fuzz_util.h"

static const size_t limits[] = { 0, 1, 2, 7, 64, 510, 998, 4096 };
#define NLIMITS		(sizeof(limits) / sizeof(*limits))

static char	*in_path;
static struct linebuf lb;	/* 64 KiB: not on the stack */
static char	*tapped;	/* what the tap saw */
static size_t	 ntapped, tapped_cap;

static void
tap(void *arg, const char *p, size_t n)
{
	(void)arg;
	if (ntapped + n > tapped_cap)
		fuzz_fail("tap saw %zu octets of %zu", ntapped + n,
		    tapped_cap);
	memcpy(tapped + ntapped, p, n);
	ntapped += n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	in_path = fuzz_path("in");
	return 0;
}

/* The next expected line of in[*pos..n), as linebuf promises it. */
static enum line_status
expect(const char *in, size_t n, size_t *pos, size_t max, size_t *start,
    size_t *len, int *flags)
{
	const char *p = in + *pos, *lf;
	size_t rest = n - *pos;

	lf = memchr(p, '\n', rest);
	if (lf == NULL) {
		*pos = n;
		/* linebuf keeps max + 1 octets (content and a CR) */
		return rest > max + 1 ? LINE_TOO_LONG : LINE_EOF;
	}
	*start = *pos;
	*len = (size_t)(lf - p);
	*pos += *len + 1;
	*flags = 0;
	if (*len > 0 && p[*len - 1] == '\r') {
		*flags |= LINE_CRLF;
		(*len)--;
	}
	if (*len > max)
		return LINE_TOO_LONG;
	if (memchr(p, '\r', *len) != NULL)
		*flags |= LINE_HAS_CR;
	if (memchr(p, '\0', *len) != NULL)
		*flags |= LINE_HAS_NUL;
	return LINE_OK;
}

/* The last LF in p[0..n), or NULL (memrchr is not POSIX). */
static const char *
memrchr_lf(const char *p, size_t n)
{
	while (n > 0)
		if (p[--n] == '\n')
			return p + n;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1, *lf;
	enum line_status got, want;
	char *line;
	size_t n, max, pos = 0, len, wlen = 0, wstart = 0, steps = 0;
	int fd, flags = 0, wflags = 0;

	if (size == 0)
		return 0;
	max = limits[data[0] % NLIMITS];
	n = size - 1;
	fd = fuzz_fd_from_bytes(in_path, in, n);
	linebuf_init(&lb, fd, 0, NULL);
	if ((tapped = malloc(n + 1)) == NULL)
		return 0;
	ntapped = 0;
	tapped_cap = n;
	lb.tap = tap;
	do {
		want = pos < n ? expect(in, n, &pos, max, &wstart, &wlen,
		    &wflags) : LINE_EOF;
		got = linebuf_getline(&lb, max, &line, &len, &flags);
		if (got != want)
			fuzz_fail("line %zu: status %d, expected %d", steps,
			    got, want);
		if (got == LINE_OK && (len != wlen || flags != wflags ||
		    memcmp(line, in + wstart, len) != 0 || line[len] != '\0'))
			fuzz_fail("line %zu: content or flags differ", steps);
		if (++steps > n + 2)
			fuzz_fail("more lines than octets");
	} while (got != LINE_EOF);
	if (memcmp(tapped, in, ntapped) != 0)
		fuzz_fail("the tap saw other octets than the input");
	lf = n > 0 ? memrchr_lf(in, n) : NULL;
	if (lf != NULL && ntapped < (size_t)(lf - in) + 1)
		fuzz_fail("the tap missed complete lines: %zu of %zu", ntapped,
		    (size_t)(lf - in) + 1);
	free(tapped);
	close(fd);
	return 0;
}
