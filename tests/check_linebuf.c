/* ISC license. */
/*
 * Unit tests for linebuf.c: line ends and their flags, the 510-octet
 * command limit (RFC 5321 4.5.3.1.4), input split into tiny reads,
 * the idle timeout, and the output buffer that is flushed only before
 * a read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_smtpd.h"
#include "linebuf.h"
#include "session.h"

static struct linebuf	lb;
static struct outbuf	ob;

static void	make_pipe(int[2]);
static void	put(int, const char *, size_t);
static void	expect_line(const char *, size_t, int);
static long	elapsed_ms(const struct timespec *);
static size_t	drain(int, char *, size_t);

static void
make_pipe(int fds[2])
{
	if (pipe(fds) == -1)
		ck_abort_msg("pipe: %s", strerror(errno));
}

/* Write into a pipe that has room (small inputs only). */
static void
put(int fd, const char *p, size_t n)
{
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
}

/* The next line from lb must be want[0..n) with exactly these flags. */
static void
expect_line(const char *want, size_t n, int flags)
{
	char *line;
	size_t len;
	int fl = -1;

	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_OK);
	ASSERT_BYTES(line, len, want, n);
	ck_assert_int_eq(line[len], '\0');
	ck_assert_int_eq(fl, flags);
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Everything readable now from a non-blocking fd. */
static size_t
drain(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t r;

	while (got < size) {
		r = read(fd, buf + got, size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			break;
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

START_TEST(test_line_ends_and_flags)
{
	static const char in[] = "HELO a\r\nMAIL b\nx\ry\r\nn\0l\r\n\r\n\n"
	    "\r\r\nz\0\r\rw\nlast\r";
	char *line;
	size_t len;
	int fds[2], fl;

	make_pipe(fds);
	put(fds[1], in, sizeof(in) - 1);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 5, NULL);
	expect_line("HELO a", 6, LINE_CRLF);
	expect_line("MAIL b", 6, 0);
	expect_line("x\ry", 3, LINE_CRLF | LINE_HAS_CR);
	expect_line("n\0l", 3, LINE_CRLF | LINE_HAS_NUL);
	expect_line("", 0, LINE_CRLF);
	expect_line("", 0, 0);
	expect_line("\r", 1, LINE_CRLF | LINE_HAS_CR);
	expect_line("z\0\r\rw", 5, LINE_HAS_CR | LINE_HAS_NUL);
	/* "last\r" has no LF: a partial last line is dropped */
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	close(fds[0]);
}
END_TEST

START_TEST(test_limit_510_511)
{
	char *in, *line;
	size_t n = 0, len;
	int fds[2], fl;

	in = malloc(4096);
	ck_assert_ptr_nonnull(in);
	/* 510 octets + CR LF: the longest command (RFC 5321 4.5.3.1.4) */
	memset(in + n, 'a', 510);
	n += 510;
	memcpy(in + n, "\r\n", 2);
	n += 2;
	/* 511 octets + CR LF: one too many */
	memset(in + n, 'b', 511);
	n += 511;
	memcpy(in + n, "\r\nNEXT\r\n", 8);
	n += 8;
	/* the same with bare LF */
	memset(in + n, 'c', 510);
	n += 510;
	in[n++] = '\n';
	memset(in + n, 'd', 511);
	n += 511;
	in[n++] = '\n';
	/* 510 octets, a stray CR, then CR LF: 511 octets of content */
	memset(in + n, 'e', 510);
	n += 510;
	memcpy(in + n, "\r\r\nEND\r\n", 8);
	n += 8;

	make_pipe(fds);
	put(fds[1], in, n);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 5, NULL);
	expect_line(in, 510, LINE_CRLF);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TOO_LONG);
	expect_line("NEXT", 4, LINE_CRLF);
	expect_line(in + 512 + 519, 510, 0);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TOO_LONG);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TOO_LONG);
	expect_line("END", 3, LINE_CRLF);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	close(fds[0]);
	free(in);
}
END_TEST

/*
 * The same limits when the line arrives in pieces: the reader must not
 * decide "too long" while the CR of a 510-octet line waits for its LF,
 * and must discard a long line that it sees only part of at a time.
 */
START_TEST(test_limit_in_pieces)
{
	char *in, *line;
	size_t n = 0, len;
	int fds[2], fl;
	pid_t pid;

	in = malloc(2048);
	ck_assert_ptr_nonnull(in);
	memset(in, 'a', 510);
	n = 510;
	in[n++] = '\r';		/* a write ends here: 511 octets, no LF */
	in[n++] = '\n';
	memset(in + n, 'b', 700);
	n += 700;
	memcpy(in + n, "\r\nNEXT\r\n", 8);
	n += 8;

	make_pipe(fds);
	/* 511 octets first, then the rest in 37-octet pieces */
	put(fds[1], in, 511);
	pid = test_writer(fds[1], fds[0], in + 511, n - 511, 37, 2000000);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 10, NULL);
	expect_line(in, 510, LINE_CRLF);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TOO_LONG);
	expect_line("NEXT", 4, LINE_CRLF);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	test_reap(pid);
	close(fds[0]);
	free(in);
}
END_TEST

START_TEST(test_huge_line)
{
	static const char after[] = "\r\nAFTER\r\n";
	size_t n = 100000 + sizeof(after) - 1, len;
	char *in, *line;
	int fds[2], fl;
	pid_t pid;

	in = malloc(n);
	ck_assert_ptr_nonnull(in);
	memset(in, 'x', 100000);
	memcpy(in + 100000, after, sizeof(after) - 1);
	make_pipe(fds);
	pid = test_writer(fds[1], fds[0], in, n, 4096, 0);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 10, NULL);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TOO_LONG);
	expect_line("AFTER", 5, LINE_CRLF);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	test_reap(pid);
	close(fds[0]);

	/* a huge line cut off by the end of input is still too long */
	make_pipe(fds);
	pid = test_writer(fds[1], fds[0], in, 100000, 65536, 0);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 10, NULL);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TOO_LONG);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	test_reap(pid);
	close(fds[0]);
	free(in);
}
END_TEST

START_TEST(test_eof_partial_line)
{
	char *line;
	size_t len;
	int fds[2], fl;

	make_pipe(fds);
	put(fds[1], "NOOP\r\nQUIT", 10);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 5, NULL);
	expect_line("NOOP", 4, LINE_CRLF);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	close(fds[0]);

	make_pipe(fds);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 5, NULL);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	close(fds[0]);
}
END_TEST

START_TEST(test_tiny_writes)
{
	static const char in[] = "EHLO client.example\r\nMAIL FROM:<a@b>\r\n"
	    "bare\n\r\nx\ry\r\n";
	char *line;
	size_t len;
	int sv[2], fl;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = test_writer(sv[1], sv[0], in, sizeof(in) - 1, 1, 100000);
	close(sv[1]);
	linebuf_init(&lb, sv[0], 10, NULL);
	expect_line("EHLO client.example", 19, LINE_CRLF);
	expect_line("MAIL FROM:<a@b>", 15, LINE_CRLF);
	expect_line("bare", 4, 0);
	expect_line("", 0, LINE_CRLF);
	expect_line("x\ry", 3, LINE_CRLF | LINE_HAS_CR);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_EOF);
	test_reap(pid);
	close(sv[0]);
}
END_TEST

START_TEST(test_timeout_idle)
{
	struct timespec t0;
	const char *p;
	char *line;
	size_t len, n;
	long ms;
	int fds[2], fl;

	make_pipe(fds);
	linebuf_init(&lb, fds[0], 1, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TIMEOUT);
	ms = elapsed_ms(&t0);
	ck_assert_int_ge(ms, 950);
	ck_assert_int_le(ms, 3000);

	/* half a line, then silence */
	put(fds[1], "HEL", 3);
	linebuf_init(&lb, fds[0], 1, NULL);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TIMEOUT);

	/* data mode: peek waits one timeout too */
	linebuf_init(&lb, fds[0], 1, NULL);
	ck_assert_int_eq(linebuf_peek(&lb, &p, &n), LINE_TIMEOUT);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* A whole line must arrive within one timeout, however it trickles. */
START_TEST(test_timeout_trickle)
{
	static const char in[] = "NOOP\r\n";
	char *line;
	size_t len;
	int fds[2], fl;
	pid_t pid;

	make_pipe(fds);
	/* one octet every 300 ms: the line needs 1.5 s, the limit is 1 s */
	pid = test_writer(fds[1], fds[0], in, sizeof(in) - 1, 1, 300000000L);
	linebuf_init(&lb, fds[0], 1, NULL);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_TIMEOUT);
	close(fds[0]);
	close(fds[1]);
	test_reap(pid);
}
END_TEST

START_TEST(test_peek_consume)
{
	const char *p;
	size_t n;
	int fds[2];

	make_pipe(fds);
	put(fds[1], "abc", 3);
	close(fds[1]);
	linebuf_init(&lb, fds[0], 5, NULL);
	ck_assert_int_eq(linebuf_peek(&lb, &p, &n), LINE_OK);
	ASSERT_BYTES(p, n, "abc", 3);
	linebuf_consume(&lb, 1);
	ck_assert_int_eq(linebuf_peek(&lb, &p, &n), LINE_OK);
	ASSERT_BYTES(p, n, "bc", 2);
	linebuf_consume(&lb, 2);
	ck_assert_int_eq(linebuf_peek(&lb, &p, &n), LINE_EOF);
	close(fds[0]);
}
END_TEST

/* before_write's record: how often, and how much was out by then. */
static int	hook_calls;
static size_t	hook_seen;
static int	hook_fd = -1;

static void
note_write(void *arg)
{
	char got[2 * OUTBUF_SIZE];

	(void)arg;
	hook_calls++;
	hook_seen += drain(hook_fd, got, sizeof(got));
}

/*
 * before_write runs before every write to the client, and before any
 * of its octets are out (the session lets a kept mailbox go there:
 * its lock record relies on no reply leaving while it is held); not
 * for puts that only fill the buffer.
 */
START_TEST(test_outbuf_before_write)
{
	static char big[OUTBUF_SIZE];
	char got[2 * OUTBUF_SIZE];
	int fds[2];

	make_pipe(fds);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	hook_fd = fds[0];
	hook_calls = 0;
	hook_seen = 0;
	outbuf_init(&ob, fds[1], 5);
	ob.before_write = note_write;
	outbuf_put(&ob, "250 one\r\n", 9);
	ck_assert_int_eq(hook_calls, 0);
	memset(big, 'a', sizeof(big));
	outbuf_put(&ob, big, sizeof(big) - 4);	/* makes room: writes */
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_uint_eq(hook_seen, 0);
	ck_assert_int_eq(outbuf_flush(&ob), 0);
	ck_assert_int_eq(hook_calls, 2);
	ck_assert_uint_eq(drain(fds[0], got, sizeof(got)) + hook_seen,
	    9 + sizeof(big) - 4);
	ck_assert_int_eq(outbuf_flush(&ob), 0);	/* nothing to write */
	ck_assert_int_eq(hook_calls, 2);
	hook_fd = -1;
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_outbuf_batching)
{
	static char big[OUTBUF_SIZE + 904], got[2 * OUTBUF_SIZE];
	int fds[2];

	make_pipe(fds);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	outbuf_init(&ob, fds[1], 0);
	outbuf_put(&ob, "250 one\r\n", sizeof("250 one\r\n") - 1);
	outbuf_put(&ob, "250 two\r\n", 9);
	/* nothing leaves before a flush */
	ck_assert_uint_eq(drain(fds[0], got, sizeof(got)), 0);
	ck_assert_int_eq(outbuf_flush(&ob), 0);
	ASSERT_BYTES(got, drain(fds[0], got, sizeof(got)),
	    "250 one\r\n250 two\r\n", 18);
	/* an empty flush writes nothing */
	ck_assert_int_eq(outbuf_flush(&ob), 0);
	ck_assert_uint_eq(drain(fds[0], got, sizeof(got)), 0);

	/* a put that does not fit sends what was held, in order */
	memset(big, 'a', 4000);
	outbuf_put(&ob, big, 4000);
	ck_assert_uint_eq(drain(fds[0], got, sizeof(got)), 0);
	memset(big, 'b', 200);
	outbuf_put(&ob, big, 200);
	ck_assert_uint_eq(drain(fds[0], got, sizeof(got)), 4000);
	ck_assert_int_eq(got[0], 'a');
	ck_assert_int_eq(got[3999], 'a');
	ck_assert_int_eq(outbuf_flush(&ob), 0);
	ck_assert_uint_eq(drain(fds[0], got, sizeof(got)), 200);
	ck_assert_int_eq(got[0], 'b');

	/* one larger than the buffer goes straight out, after what waits */
	outbuf_put(&ob, "x", sizeof("x") - 1);
	memset(big, 'c', sizeof(big));
	outbuf_put(&ob, big, sizeof(big));
	ck_assert_uint_eq(drain(fds[0], got, sizeof(got)), 1 + sizeof(big));
	ck_assert_int_eq(got[0], 'x');
	ck_assert_int_eq(got[1], 'c');
	ck_assert_int_eq(got[sizeof(big)], 'c');
	ck_assert_int_eq(ob.len, 0);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/*
 * Replies are flushed before a read, and only then: pipelined commands
 * already in the buffer are answered into one batch (RFC 2920).
 */
START_TEST(test_outbuf_flush_before_read)
{
	static char got[256];
	int in[2], out[2];

	make_pipe(in);
	make_pipe(out);
	ck_assert_int_eq(fcntl(out[0], F_SETFL, O_NONBLOCK), 0);
	outbuf_init(&ob, out[1], 0);
	linebuf_init(&lb, in[0], 5, &ob);
	put(in[1], "A\r\nB\r\n", 6);
	outbuf_put(&ob, "r1\r\n", sizeof("r1\r\n") - 1);
	expect_line("A", 1, LINE_CRLF);		/* read: r1 went first */
	ASSERT_BYTES(got, drain(out[0], got, sizeof(got)), "r1\r\n", 4);
	outbuf_put(&ob, "r2\r\n", sizeof("r2\r\n") - 1);
	expect_line("B", 1, LINE_CRLF);		/* buffered: no read */
	ck_assert_uint_eq(drain(out[0], got, sizeof(got)), 0);
	outbuf_put(&ob, "r3\r\n", sizeof("r3\r\n") - 1);
	put(in[1], "C\r\n", 3);
	expect_line("C", 1, LINE_CRLF);
	ASSERT_BYTES(got, drain(out[0], got, sizeof(got)), "r2\r\nr3\r\n", 8);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}
END_TEST

/*
 * What the session asks before it may let a kept mailbox stay locked:
 * whether a whole line is buffered (the next read will not wait), and
 * how much a reply may add before the writer must write.
 */
START_TEST(test_has_line_and_room)
{
	int in[2], out[2];

	make_pipe(in);
	make_pipe(out);
	outbuf_init(&ob, out[1], 0);
	linebuf_init(&lb, in[0], 5, &ob);
	ck_assert_int_eq(linebuf_has_line(&lb), 0);
	put(in[1], "A\r\nBC\r\nD", 8);
	expect_line("A", 1, LINE_CRLF);
	ck_assert_uint_eq(linebuf_pending(&lb), 5);
	ck_assert_int_eq(linebuf_has_line(&lb), 1);
	expect_line("BC", 2, LINE_CRLF);	/* buffered: no wait */
	ck_assert_uint_eq(linebuf_pending(&lb), 1);
	ck_assert_int_eq(linebuf_has_line(&lb), 0);	/* "D" waits */
	ck_assert_uint_eq(outbuf_room(&ob), OUTBUF_SIZE);
	outbuf_put(&ob, "r\r\n", 3);
	ck_assert_uint_eq(outbuf_room(&ob), OUTBUF_SIZE - 3);
	ck_assert_int_eq(outbuf_flush(&ob), 0);
	ck_assert_uint_eq(outbuf_room(&ob), OUTBUF_SIZE);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}
END_TEST

/* A client gone (EPIPE) fails the flush and so the read. */
START_TEST(test_outbuf_client_gone)
{
	char *line;
	size_t len;
	int in[2], out[2], fl;

	make_pipe(in);
	make_pipe(out);
	close(out[0]);
	outbuf_init(&ob, out[1], 0);
	linebuf_init(&lb, in[0], 5, &ob);
	put(in[1], "A\r\n", 3);
	outbuf_put(&ob, "220 hi\r\n", sizeof("220 hi\r\n") - 1);
	ck_assert_int_eq(linebuf_getline(&lb, COMMAND_LINE_MAX, &line, &len,
	    &fl), LINE_ERROR);
	ck_assert_int_eq(ob.failed, 1);
	ck_assert_int_eq(outbuf_flush(&ob), -1);
	close(in[0]);
	close(in[1]);
	close(out[1]);
}
END_TEST

Suite *
linebuf_suite(void)
{
	Suite *s = suite_create("linebuf");
	TCase *tc = tcase_create("lines");
	TCase *tt = tcase_create("timeout");
	TCase *to = tcase_create("outbuf");

	tcase_set_timeout(tc, TEST_TIMEOUT);
	tcase_add_test(tc, test_line_ends_and_flags);
	tcase_add_test(tc, test_limit_510_511);
	tcase_add_test(tc, test_limit_in_pieces);
	tcase_add_test(tc, test_huge_line);
	tcase_add_test(tc, test_eof_partial_line);
	tcase_add_test(tc, test_tiny_writes);
	tcase_add_test(tc, test_peek_consume);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tt, TEST_TIMEOUT);
	tcase_add_test(tt, test_timeout_idle);
	tcase_add_test(tt, test_timeout_trickle);
	suite_add_tcase(s, tt);
	tcase_set_timeout(to, TEST_TIMEOUT);
	tcase_add_test(to, test_outbuf_batching);
	tcase_add_test(to, test_outbuf_before_write);
	tcase_add_test(to, test_outbuf_flush_before_read);
	tcase_add_test(to, test_outbuf_client_gone);
	tcase_add_test(to, test_has_line_and_room);
	suite_add_tcase(s, to);
	return s;
}
