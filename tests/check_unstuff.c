/* ISC license. */
/*
 * Unit tests for data.c: the end of data, dot-unstuffing (RFC 5321
 * 4.5.2), the RFC 1870 size, and the SMTP smuggling policy.  Every case
 * is fed whole, split at every position, in pieces of several sizes
 * and one octet at a time: all must give the same output, flags, size
 * and consumed count.
 */
#include <stdlib.h>
#include <string.h>

#include "check_smtpd.h"
#include "unstuff.h"

#define S(lit)	lit, sizeof(lit) - 1

struct fed {
	char			*out;
	size_t			 outlen;
	size_t			 used;
	int			 done;
	int			 flags;
	unsigned long long	 size;
};

struct data_case {
	const char		*name;
	int			 lf_mode;
	const char		*in;
	size_t			 inlen;
	const char		*out;
	size_t			 outlen;
	int			 done;
	size_t			 used;
	int			 flags;
	unsigned long long	 size;
};

#define TAIL	"MAIL FROM:<e@vil>\r\n.\r\nQUIT\r\n"

static const struct data_case cases[] = {
	{ "empty message", 0, S(".\r\n"), S(""), 1, 3, 0, 0 },
	{ "empty, then a command", 0, S(".\r\nQUIT\r\n"), S(""), 1, 3, 0, 0 },
	{ "one line", 0, S("a\r\n.\r\nMAIL"), S("a\n"), 1, 6, 0, 3 },
	{ "unstuffing ..x", 0, S("..x\r\n.\r\n"), S(".x\n"), 1, 8, 0, 4 },
	{ "unstuffing lines of dots", 0, S("a\r\n..\r\n...\r\n.\r\n"),
	    S("a\n.\n..\n"), 1, 15, 0, 10 },
	{ "a single leading dot goes", 0, S(".x\r\n.\r\n"), S("x\n"), 1, 7,
	    0, 3 },
	{ "size excludes stuffing", 0, S("ab\r\n..c\r\n.\r\n"),
	    S("ab\n.c\n"), 1, 12, 0, 8 },
	{ "empty first line", 0, S("\r\n.\r\n"), S("\n"), 1, 5, 0, 2 },
	{ "dots inside lines stay", 0, S("a.\r\n.b.\r\n x.\r\n.\r\n"),
	    S("a.\nb.\n x.\n"), 1, 17, 0, 13 },
	{ "From lines are not data's business", 0,
	    S("From me\r\n>From\r\n.\r\n"), S("From me\n>From\n"), 1, 19, 0,
	    16 },
	{ "no end yet", 0, S("abc\r\n"), S("abc\n"), 0, 5, 0, 5 },
	{ "a CR held back", 0, S("abc\r"), S("abc"), 0, 4, 0, 3 },
	{ "dot CR held back", 0, S("x\r\n.\r"), S("x\n"), 0, 5, 0, 3 },
	{ "NUL", 0, S("a\0b\r\n.\r\nX"), S("a\0b\n"), 1, 8, UNSTUFF_NUL, 5 },
	{ "NUL at a line start", 0, S("\0\r\n.\r\n"), S("\0\n"), 1, 6,
	    UNSTUFF_NUL, 3 },
	/* "." LF: the end in lf_mode only */
	{ "lf_mode: . LF ends", 1, S("a\n.\nMAIL"), S("a\n"), 1, 4, 0, 2 },
	{ "crlf: . LF does not end", 0, S("a\n.\n\r\n.\r\n"),
	    S("a\n.\n\n"), 1, 9, 0, 6 },
	{ "lf_mode: CR LF still works", 1, S("a\r\n.\r\nX"), S("a\n"), 1, 6,
	    0, 3 },
	{ "lf_mode: unstuffing", 1, S("x\n..y\n.\n"), S("x\n.y\n"), 1, 8,
	    0, 5 },
	{ "lf_mode: bare CR is marked", 1, S("a\rb\n.\n"), S("a\rb\n"), 1,
	    6, UNSTUFF_BARE_CR, 4 },
	{ "lf_mode: empty message", 1, S(".\n"), S(""), 1, 2, 0, 0 },
	{ "crlf: . LF at the start", 0, S(".\nMAIL\r\n.\r\n"),
	    S("\nMAIL\n"), 1, 11, 0, 7 },
	/*
	 * SMTP smuggling (CVE-2023-51764/5/6): none of these ends the
	 * data in a CR LF session; a bare CR marks the message, a bare LF
	 * ends a content line (normalized), and only the real
	 * CR LF . CR LF ends it, leaving QUIT unread.
	 */
	{ "smuggling \\n.\\n", 0, S("x\n.\n" TAIL),
	    S("x\n.\nMAIL FROM:<e@vil>\n"), 1, 26, 0, 23 },
	{ "smuggling \\n.\\r\\n", 0, S("x\n.\r\n" TAIL),
	    S("x\n.\nMAIL FROM:<e@vil>\n"), 1, 27, 0, 24 },
	{ "smuggling \\r.\\r", 0, S("x\r.\r" TAIL),
	    S("x\r.\rMAIL FROM:<e@vil>\n"), 1, 26, UNSTUFF_BARE_CR, 23 },
	{ "smuggling \\r.\\r\\n", 0, S("x\r.\r\n" TAIL),
	    S("x\r.\nMAIL FROM:<e@vil>\n"), 1, 27, UNSTUFF_BARE_CR, 24 },
	{ "smuggling \\r\\n.\\r", 0, S("x\r\n.\r" TAIL),
	    S("x\n\rMAIL FROM:<e@vil>\n"), 1, 27, UNSTUFF_BARE_CR, 23 },
	{ "smuggling \\r\\n.\\n", 0, S("x\r\n.\n" TAIL),
	    S("x\n\nMAIL FROM:<e@vil>\n"), 1, 27, 0, 23 },
	{ "smuggling \\n.\\r", 0, S("x\n.\r" TAIL),
	    S("x\n.\rMAIL FROM:<e@vil>\n"), 1, 26,
	    UNSTUFF_BARE_CR, 23 },
};

static void	feed(int, const char *, size_t, size_t, size_t, struct fed *);
static void	expect_same(const struct fed *, const struct fed *,
		    const char *, size_t, size_t);
static void	fed_free(struct fed *);

/*
 * Feed in[0..n) as a first piece of `first' octets and then pieces of
 * `chunk' (0: all the rest), stopping at the end of data.  Each call
 * gets an output buffer of exactly the documented size, so a write
 * past it shows under valgrind or ASan.
 */
static void
feed(int lf_mode, const char *in, size_t n, size_t first, size_t chunk,
    struct fed *r)
{
	struct unstuff ds;
	size_t pos = 0, len, outlen, used;
	char *out;
	int done = 0;

	memset(r, 0, sizeof(*r));
	if ((r->out = malloc(n + UNSTUFF_SLACK + 1)) == NULL)
		ck_abort_msg("out of memory");
	unstuff_begin(&ds, lf_mode);
	for (len = first; !done; len = chunk) {
		if (len == 0 || len > n - pos)
			len = n - pos;
		if ((out = malloc(len + UNSTUFF_SLACK)) == NULL)
			ck_abort_msg("out of memory");
		outlen = (size_t)-1;
		used = unstuff_feed(&ds, in + pos, len, out, &outlen, &done);
		ck_assert_uint_le(used, len);
		ck_assert_uint_le(outlen, len + UNSTUFF_SLACK);
		if (!done)
			ck_assert_uint_eq(used, len);
		ck_assert_uint_le(r->outlen + outlen, n + UNSTUFF_SLACK);
		memcpy(r->out + r->outlen, out, outlen);
		r->outlen += outlen;
		free(out);
		pos += used;
		if (pos == n)
			break;
	}
	r->used = pos;
	r->done = done;
	r->flags = ds.flags;
	r->size = ds.size;
}

static void
fed_free(struct fed *r)
{
	free(r->out);
	r->out = NULL;
}

static void
expect_same(const struct fed *got, const struct fed *want, const char *name,
    size_t first, size_t chunk)
{
	ck_assert_msg(got->outlen == want->outlen &&
	    memcmp(got->out, want->out, want->outlen) == 0,
	    "%s: output differs when fed as %zu then pieces of %zu", name,
	    first, chunk);
	ck_assert_msg(got->used == want->used && got->done == want->done &&
	    got->flags == want->flags && got->size == want->size,
	    "%s, fed as %zu then pieces of %zu: used %zu done %d flags %d "
	    "size %llu; whole: used %zu done %d flags %d size %llu", name,
	    first, chunk, got->used, got->done, got->flags, got->size,
	    want->used, want->done, want->flags, want->size);
}

START_TEST(test_cases)
{
	const struct data_case *c = &cases[_i];
	struct fed whole, part;
	size_t k;

	feed(c->lf_mode, c->in, c->inlen, c->inlen, 0, &whole);
	ASSERT_BYTES(whole.out, whole.outlen, c->out, c->outlen);
	ck_assert_msg(whole.done == c->done, "%s: done %d", c->name,
	    whole.done);
	ck_assert_msg(whole.used == c->used, "%s: used %zu, want %zu",
	    c->name, whole.used, c->used);
	ck_assert_msg(whole.flags == c->flags, "%s: flags %d, want %d",
	    c->name, whole.flags, c->flags);
	ck_assert_msg(whole.size == c->size, "%s: size %llu, want %llu",
	    c->name, whole.size, c->size);

	/* split at every position: a piece may be empty */
	for (k = 0; k <= c->inlen; k++) {
		feed(c->lf_mode, c->in, c->inlen, k, 0, &part);
		expect_same(&part, &whole, c->name, k, 0);
		fed_free(&part);
	}
	/* pieces of 1, 2, 3, 5 and 7 octets, from every start */
	for (k = 1; k <= 7; k++) {
		feed(c->lf_mode, c->in, c->inlen, k, k, &part);
		expect_same(&part, &whole, c->name, k, k);
		fed_free(&part);
		feed(c->lf_mode, c->in, c->inlen, 1, k, &part);
		expect_same(&part, &whole, c->name, 1, k);
		fed_free(&part);
	}
	fed_free(&whole);
}
END_TEST

/*
 * A long message of lines built from the awkward octets (dots, CR, LF,
 * NUL at every place), with the real end at the end: the pieces must
 * not matter, in either mode.
 */
START_TEST(test_long_mixed)
{
	static const char alphabet[] = "ab.\r\n\r\n..\0";
	unsigned long seed = 12345;
	struct fed whole, part;
	size_t n = 20000, i, k;
	char *in;
	int lf;

	in = malloc(n + 5);
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245UL + 12345UL;
		in[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
	}
	memcpy(in + n, "\r\n.\r\n", 5);
	for (lf = 0; lf <= 1; lf++) {
		feed(lf, in, n + 5, n + 5, 0, &whole);
		for (k = 1; k <= 17; k++) {
			feed(lf, in, n + 5, k, k, &part);
			expect_same(&part, &whole, "long mixed", k, k);
			fed_free(&part);
		}
		for (k = 0; k <= n + 5; k += 997) {
			feed(lf, in, n + 5, k, 0, &part);
			expect_same(&part, &whole, "long mixed", k, 0);
			fed_free(&part);
		}
		/* the output never grows past the input */
		ck_assert_uint_le(whole.outlen, whole.used);
		fed_free(&whole);
	}
	free(in);
}
END_TEST

/* After the end, unstuff_begin() starts a fresh message. */
START_TEST(test_begin_resets)
{
	struct unstuff ds;
	char out[32];
	size_t outlen, used;
	int done;

	unstuff_begin(&ds, 0);
	used = unstuff_feed(&ds, "a\0\n\r\n.\r\n", 8, out, &outlen, &done);
	ck_assert_uint_eq(used, 8);
	ck_assert_int_eq(done, 1);
	ck_assert_int_eq(ds.flags, UNSTUFF_NUL);
	unstuff_begin(&ds, 1);
	ck_assert_int_eq(ds.flags, 0);
	ck_assert_uint_eq(ds.size, 0);
	ck_assert_int_eq(ds.lf_mode, 1);
	used = unstuff_feed(&ds, "q\n.\n", 4, out, &outlen, &done);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(done, 1);
	ASSERT_BYTES(out, outlen, "q\n", 2);
	ck_assert_int_eq(ds.flags, 0);
	/* nothing in, nothing out */
	unstuff_begin(&ds, 0);
	used = unstuff_feed(&ds, "", 0, out, &outlen, &done);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_int_eq(done, 0);
}
END_TEST

Suite *
unstuff_suite(void)
{
	Suite *s = suite_create("unstuff");
	TCase *tc = tcase_create("feed");

	tcase_set_timeout(tc, TEST_TIMEOUT);
	tcase_add_loop_test(tc, test_cases, 0,
	    (int)(sizeof(cases) / sizeof(*cases)));
	tcase_add_test(tc, test_long_mixed);
	tcase_add_test(tc, test_begin_resets);
	suite_add_tcase(s, tc);
	return s;
}
