/* ISC license. */
/*
 * Unit tests for session.c that need what a transcript cannot give: a
 * terminal on stdin (cfg.interactive), the client's address (cfg.peer),
 * a client that stays silent (the idle timeout) or that waits while the
 * test looks at the mailbox's locks.  Whole sessions through
 * session_run() over a socketpair, with the exact reply bytes and the
 * exact mailbox afterwards; each runs twice, the input written whole
 * and then in tiny pieces (RFC 2920: the bytes out must not depend on
 * how the bytes in were chunked).  Everything else a session does is
 * pinned byte for byte by tests/transcripts/.  The replies expected are
 * built from reply.h's reply_table (test_add_reply()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check_smtpd.h"
#include "config.h"
#include "session.h"
#include "util.h"

#define S(lit)	lit, sizeof(lit) - 1

#define HOST		TEST_HOST
#define WANT_SIZE	4096

/* The mbox lines smtpd writes, at the fixed clock. */
#define FROM_(who)	"From " who " Tue Nov 14 22:13:20 2023\n"
#define RPATH(who)	"Return-Path: <" who ">\n"
#define RECEIVED(helo, with, id, forline) \
	"Received: from " helo " (stdin)\n" \
	"\tby " HOST " (smtpd) with " with " id " id forline ";\n" \
	"\tTue, 14 Nov 2023 22:13:20 +0000\n"
#define FOR(rcpt)	"\n\tfor <" rcpt ">"

static char		*dir, *mbox_path;
static char		*mbox_argv[2];
static struct config	 cfg;

static void	setup(void);
static void	teardown(void);
static unsigned	id_base(void);
static char	*expand(const char *, unsigned);
static char	*run_session(const char *, size_t, size_t, size_t *);
static void	check_session(const char *, size_t, const char *,
		    const char *);
static void	read_until(int, char *, size_t, size_t *, const char *);
static void	want_delivery(char *, const char *);

static void
setup(void)
{
	test_env();
	dir = test_tmpdir();
	mbox_path = test_path(dir, "mbox");
	mbox_argv[0] = mbox_path;
	mbox_argv[1] = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = HOST;
	cfg.max_size = 1000000;
	cfg.max_rcpts = 100;
	cfg.timeout = 10;
	cfg.method = METHOD_MBOX;
	cfg.method_argv = mbox_argv;
	cfg.method_argc = 1;
}

static void
teardown(void)
{
	test_rmtree(dir);
	free(mbox_path);
	free(dir);
}

/*
 * Message ids are the fake time, five zeros and a per-process counter.
 * Draw one id to learn the counter: the session's n-th id is base + n.
 */
static unsigned
id_base(void)
{
	char id[32];
	size_t n;

	util_make_id(id, sizeof(id));
	n = strlen(id);
	ck_assert_uint_eq(n, 17);
	ck_assert_msg(strncmp(id, "6553F10000000", 13) == 0, "id %s", id);
	return (unsigned)strtoul(id + 13, NULL, 16);
}

/* want with each "@IDn@" replaced by the session's n-th message id. */
static char *
expand(const char *want, unsigned base)
{
	size_t n = strlen(want), o = 0;
	char *r;

	if ((r = malloc(n + 1)) == NULL)
		ck_abort_msg("out of memory");
	while (*want != '\0') {
		if (strncmp(want, "@ID", 3) == 0 && want[3] >= '1' &&
		    want[3] <= '9' && want[4] == '@') {
			/* 5 octets of template become 17 of id */
			if ((r = realloc(r, n + 1 + (o + 17))) == NULL)
				ck_abort_msg("out of memory");
			snprintf(r + o, 18, "6553F10000000%04X",
			    (base + (unsigned)(want[3] - '0')) & 0xffffU);
			o += 17;
			want += 5;
		} else
			r[o++] = *want++;
	}
	r[o] = '\0';
	return r;
}

/*
 * Run one session: a child writes the input in pieces of `chunk'
 * octets and closes; the replies go to a file, read back whole.
 */
static char *
run_session(const char *in, size_t n, size_t chunk, size_t *outlen)
{
	char *outpath, *out;
	int sv[2], outfd;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = test_writer(sv[1], sv[0], in, n, chunk, 0);
	close(sv[1]);
	outpath = test_path(dir, "replies");
	outfd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(outfd, -1);
	ck_assert_int_eq(session_run(&cfg, sv[0], outfd), 0);
	close(sv[0]);
	test_reap(pid);
	close(outfd);
	out = test_read_file(outpath, outlen);
	ck_assert_ptr_nonnull(out);
	unlink(outpath);
	free(outpath);
	return out;
}

/*
 * Run the session whole and in pieces (one octet at a time when it is
 * short); each time the replies must be want_out and the mailbox
 * want_mbox (NULL: no mailbox at all), "@IDn@" standing for ids.
 */
static void
check_session(const char *in, size_t n, const char *want_out,
    const char *want_mbox)
{
	size_t chunks[2], outlen, mlen, i;
	const char *diff;
	char *out, *mbox, *want;
	unsigned base;
	int exists;

	chunks[0] = n;
	chunks[1] = n <= 8192 ? 1 : 4093;
	for (i = 0; i < 2; i++) {
		base = id_base();
		out = run_session(in, n, chunks[i], &outlen);
		want = expand(want_out, base);
		diff = test_bytes_diff(out, outlen, want, strlen(want));
		/* free before failing: no leak under CK_FORK=no */
		free(want);
		free(out);
		if (diff != NULL)
			ck_abort_msg("replies, input in pieces of %zu: %s",
			    chunks[i], diff);
		mbox = test_read_file(mbox_path, &mlen);
		unlink(mbox_path);
		if (want_mbox == NULL) {
			exists = mbox != NULL;
			free(mbox);
			ck_assert_msg(!exists, "a mailbox was written");
			continue;
		}
		ck_assert_msg(mbox != NULL, "no mailbox was written");
		want = expand(want_mbox, base);
		diff = test_bytes_diff(mbox, mlen, want, strlen(want));
		free(want);
		free(mbox);
		if (diff != NULL)
			ck_abort_msg("mbox, input in pieces of %zu: %s",
			    chunks[i], diff);
	}
}

/*
 * Append to want the replies of one plain transaction of the tests:
 * MAIL FROM:<a@b.example>, RCPT TO:<u@mx.test>, DATA and message id.
 */
static void
want_delivery(char *want, const char *id)
{
	test_add_reply(want, WANT_SIZE, R_SENDER_OK, "<a@b.example>");
	test_add_reply(want, WANT_SIZE, R_RCPT_OK, "<u@mx.test>");
	test_add_reply(want, WANT_SIZE, R_DATA_GO, NULL);
	test_add_reply(want, WANT_SIZE, R_DATA_OK, id);
}

/* A terminal on stdin means lf_mode whatever the first line. */
START_TEST(test_lf_mode_interactive)
{
	static char want[WANT_SIZE];

	cfg.interactive = 1;
	test_add_reply(want, sizeof(want), R_GREETING, HOST);
	test_add_reply(want, sizeof(want), R_HELO, "client.test");
	want_delivery(want, "@ID1@");
	test_add_reply(want, sizeof(want), R_QUIT, HOST);
	check_session(S(
	    "HELO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "hi\n"
	    ".\n"
	    "QUIT\r\n"),
	    want,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    RECEIVED("client.test", "SMTP", "@ID1@", FOR("u@mx.test"))
	    "hi\n"
	    "\n");
}
END_TEST

/*
 * The HELO name goes into Received only as header-safe characters, the
 * client's address as an address literal.
 */
START_TEST(test_received_helo_and_peer)
{
	static char want[WANT_SIZE];

	cfg.peer = "192.0.2.7";
	test_add_reply(want, sizeof(want), R_GREETING, HOST);
	test_add_reply(want, sizeof(want), R_HELO,
	    "c(l)i\"ent;x");
	want_delivery(want, "@ID1@");
	test_add_reply(want, sizeof(want), R_QUIT, HOST);
	check_session(S(
	    "HELO c(l)i\"ent;x\r\n"
	    "MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<u@mx.test>\r\n"
	    "DATA\r\n"
	    "x\r\n"
	    ".\r\n"
	    "QUIT\r\n"),
	    want,
	    FROM_("a@b.example")
	    RPATH("a@b.example")
	    "Received: from c?l?i?ent?x ([192.0.2.7])\n"
	    "\tby " HOST " (smtpd) with SMTP id @ID1@\n"
	    "\tfor <u@mx.test>;\n"
	    "\tTue, 14 Nov 2023 22:13:20 +0000\n"
	    "x\n"
	    "\n");
}
END_TEST

/* Read from fd, after the n octets in buf, until they end with tail. */
static void
read_until(int fd, char *buf, size_t size, size_t *n, const char *tail)
{
	size_t t = strlen(tail);
	ssize_t r;

	while (*n < t || memcmp(buf + *n - t, tail, t) != 0) {
		ck_assert_uint_lt(*n, size);
		r = read(fd, buf + *n, size - *n);
		ck_assert_msg(r > 0, "no more replies after %zu octets: %.*s",
		    *n, (int)*n, buf);
		*n += (size_t)r;
	}
}

/*
 * Pipelined messages share the mailbox's locks (kept in the session's
 * deliver_ctx), but once smtpd has answered and waits for the client,
 * it holds neither PATH.lock nor the fcntl lock: a silent client cannot
 * lock a mailbox.
 */
START_TEST(test_no_lock_while_waiting)
{
	static const char in[] =
	    "EHLO client.test\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n"
	    "one\r\n.\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<u@mx.test>\r\nDATA\r\n"
	    "two\r\n.\r\n";
	static char got[4096], replies[WANT_SIZE], bye[WANT_SIZE];
	struct timeval tv = { 10, 0 };
	struct flock fl;
	struct stat st;
	char *lock_path = test_path(dir, "mbox.lock"), *want, *mbox;
	size_t n = 0, mlen;
	unsigned base = id_base();
	int sv[2], fd;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[1]);
		_exit(session_run(&cfg, sv[0], sv[0]));
	}
	close(sv[0]);
	ck_assert_int_eq(write(sv[1], in, sizeof(in) - 1),
	    (ssize_t)sizeof(in) - 1);
	test_add_reply(replies, sizeof(replies), R_GREETING, HOST);
	/* the EHLO reply's lines are session.c's own */
	test_add(replies, sizeof(replies),
	    "250-" HOST " Hello client.test\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 1000000\r\n"
	    "250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-SMTPUTF8\r\n"
	    "250-HELP\r\n"
	    "250 CHUNKING\r\n");
	want_delivery(replies, "@ID1@");
	want_delivery(replies, "@ID2@");
	test_add_reply(bye, sizeof(bye), R_QUIT, HOST);
	want = expand(replies, base);
	read_until(sv[1], got, sizeof(got), &n, want);
	/* both answered, so smtpd now waits for the client */
	ck_assert_msg(lstat(lock_path, &st) == -1 && errno == ENOENT,
	    "PATH.lock held while waiting for the client");
	ck_assert_int_ne(fd = open(mbox_path, O_RDWR), -1);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	ck_assert_int_eq(fcntl(fd, F_GETLK, &fl), 0);
	close(fd);
	ck_assert_msg(fl.l_type == F_UNLCK, "fcntl lock held by %ld",
	    (long)fl.l_pid);
	ck_assert_int_eq(write(sv[1], "QUIT\r\n", 6), 6);
	read_until(sv[1], got, sizeof(got), &n, bye);
	close(sv[1]);
	ck_assert_int_eq(test_reap(pid), 0);
	ck_assert_uint_eq(n, strlen(want) + strlen(bye));
	free(want);
	want = expand(FROM_("a@b.example") RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID1@", FOR("u@mx.test"))
	    "one\n\n"
	    FROM_("a@b.example") RPATH("a@b.example")
	    RECEIVED("client.test", "ESMTP", "@ID2@", FOR("u@mx.test"))
	    "two\n\n", base);
	mbox = test_read_file(mbox_path, &mlen);
	ck_assert_ptr_nonnull(mbox);
	ASSERT_BYTES(mbox, mlen, want, strlen(want));
	free(mbox);
	free(want);
	free(lock_path);
}
END_TEST

/*
 * The idle timeout: the client says HELO and then nothing, without
 * closing.  So the input stays open here and is written up front.
 */
START_TEST(test_timeout)
{
	static const char *const inputs[] = {
		"HELO client.test\r\n",
		"HELO client.test\r\nMAIL FROM:<a@b.example>\r\n"
		    "RCPT TO:<u@mx.test>\r\nDATA\r\npartial",
	};
	static char wants[2][WANT_SIZE];
	char *outpath, *out, *mbox;
	size_t i, outlen, mlen;
	int sv[2], outfd;

	for (i = 0; i < 2; i++) {
		test_add_reply(wants[i], WANT_SIZE, R_GREETING, HOST);
		test_add_reply(wants[i], WANT_SIZE, R_HELO,
		    "client.test");
	}
	test_add_reply(wants[1], WANT_SIZE, R_SENDER_OK, "<a@b.example>");
	test_add_reply(wants[1], WANT_SIZE, R_RCPT_OK, "<u@mx.test>");
	test_add_reply(wants[1], WANT_SIZE, R_DATA_GO, NULL);
	for (i = 0; i < 2; i++)
		test_add_reply(wants[i], WANT_SIZE, R_TIMEOUT, HOST);
	cfg.timeout = 1;
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(write(sv[1], inputs[i], strlen(inputs[i])),
		    (ssize_t)strlen(inputs[i]));
		outpath = test_path(dir, "replies");
		outfd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ne(outfd, -1);
		ck_assert_int_eq(session_run(&cfg, sv[0], outfd), 0);
		close(sv[0]);
		close(sv[1]);
		close(outfd);
		out = test_read_file(outpath, &outlen);
		ck_assert_ptr_nonnull(out);
		ASSERT_STR_BYTES(out, outlen, wants[i]);
		free(out);
		unlink(outpath);
		free(outpath);
		mbox = test_read_file(mbox_path, &mlen);
		ck_assert_msg(mbox == NULL, "a mailbox was written");
	}
}
END_TEST

Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("session");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TEST_TIMEOUT);
	tcase_add_test(tc, test_lf_mode_interactive);
	tcase_add_test(tc, test_received_helo_and_peer);
	tcase_add_test(tc, test_no_lock_while_waiting);
	tcase_add_test(tc, test_timeout);
	suite_add_tcase(s, tc);
	return s;
}
