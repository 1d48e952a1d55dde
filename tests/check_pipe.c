/* ISC license. */
/*
 * Unit tests for deliver_pipe.c, through its method table, with the
 * shell scripts in
 * tests/helpers/ as delivery programs (run from the top directory, as
 * `make check` does): the exact bytes on stdin, the exact environment,
 * the exit status table with the stderr line, stdout kept away from
 * ours, descriptors and SIGPIPE reset, timeouts that kill the whole
 * group, a grandchild holding stderr, and argv passed without a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_smtpd.h"
#include "method.h"
#include "spool.h"

#define RETURN_PATH	"Return-Path: <a@b.example>\n"
#define BODY	"Received: from x by mx.test; " \
		"Tue, 14 Nov 2023 22:13:20 +0000\n" \
		"Subject: hi\n\nFrom me\n>From you\n.dot\n..two\n"
#define SLOW_MS	2000	/* "promptly" is well under this */


static char		*dir, *out, *helpers;
static struct spool	 sp;
static struct addr	 sender, rcpt;
static struct envelope	 env;
static char		*scratch;	/* the method's buf_size octets */

static void	setup(void);
static void	teardown(void);
static char	*helper(const char *);
static void	spool_body(const char *, size_t);
static struct deliver_result pipe_run(char *const [], int);
static struct deliver_result run2(const char *, const char *, int);
static void	expect_file(const char *, const char *, size_t);
static long	ms_since(const struct timespec *);
static int	is_gone(pid_t);
static void	expect_gone(pid_t);
static void	read_pids(const char *, long *, long *);

static void
setup(void)
{
	char cwd[4096];

	test_env();
	/* smtpd ignores SIGPIPE; so must whoever runs the pipe method */
	signal(SIGPIPE, SIG_IGN);
	dir = test_tmpdir();
	out = test_path(dir, "out");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	helpers = test_path(cwd, "tests/helpers");
	memset(&sender, 0, sizeof(sender));
	strcpy(sender.mailbox, "a@b.example");
	sender.local_len = 1;
	memset(&rcpt, 0, sizeof(rcpt));
	strcpy(rcpt.mailbox, "u@mx.test");
	rcpt.local_len = 1;
	env.sender = &sender;
	env.rcpts = &rcpt;
	env.nrcpts = 1;
	env.id = "6553F100000000001";
	env.when = 1700000000;
	spool_init(&sp);
	spool_body(BODY, sizeof(BODY) - 1);
	scratch = malloc(method_pipe.buf_size);
	ck_assert_ptr_nonnull(scratch);
}

static void
teardown(void)
{
	free(scratch);
	spool_reset(&sp);
	test_rmtree(dir);
	free(helpers);
	free(out);
	free(dir);
}

/* The absolute path of tests/helpers/name, malloc'd. */
static char *
helper(const char *name)
{
	char *p = test_path(helpers, name);

	ck_assert_msg(access(p, X_OK) == 0, "%s: %s (run from the top "
	    "directory)", p, strerror(errno));
	return p;
}

static void
spool_body(const char *body, size_t n)
{
	spool_reset(&sp);
	ck_assert_int_eq(spool_write(&sp, body, n), 0);
}

/*
 * Run argv (already expanded) for rcpt with the spool on its stdin, as
 * deliver.c calls the method; a run holds nothing, so no tx.
 */
static const char *client;	/* the session's peer, NULL: stdin */

static struct deliver_result
pipe_run(char *const argv[], int timeout_s)
{
	struct method_copy c;

	memset(&c, 0, sizeof(c));
	c.env = &env;
	c.sp = &sp;
	c.argv = argv;
	c.rcpt = c.full = &rcpt;
	c.peer = client;
	c.timeout_s = timeout_s;
	c.buf = scratch;
	c.bufsize = method_pipe.buf_size;
	return method_pipe.write(&c, NULL);
}

/* Run helper name with one argument, or none when a1 is NULL. */
static struct deliver_result
run2(const char *name, const char *a1, int timeout_s)
{
	char *argv[3];
	struct deliver_result r;

	argv[0] = helper(name);
	argv[1] = a1 == NULL ? NULL : strdup(a1);
	argv[2] = NULL;
	r = pipe_run(argv, timeout_s);
	free(argv[1]);
	free(argv[0]);
	return r;
}

static void
expect_file(const char *path, const char *want, size_t n)
{
	size_t len;
	char *got;

	got = test_read_file(path, &len);
	ck_assert_msg(got != NULL, "%s is missing", path);
	ASSERT_BYTES(got, len, want, n);
	free(got);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* No such process, or a zombie that only waits for init to reap it. */
static int
is_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' */
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

/* pid is gone, or goes within a second (its reaper may lag). */
static void
expect_gone(pid_t pid)
{
	struct timespec ts = { 0, 10000000L };
	int i;

	for (i = 0; i < 100 && !is_gone(pid); i++)
		nanosleep(&ts, NULL);
	ck_assert_msg(is_gone(pid), "process %ld is still running",
	    (long)pid);
}

/* "A B" from a file a helper wrote; B is -1 when absent. */
static void
read_pids(const char *path, long *a, long *b)
{
	size_t len;
	char *s;

	s = test_read_file(path, &len);
	ck_assert_msg(s != NULL, "%s is missing", path);
	*b = -1;
	ck_assert_int_ge(sscanf(s, "%ld %ld", a, b), 1);
	ck_assert_int_gt(*a, 1);
	free(s);
}

/* stdin is "Return-Path: <sender>" and the message, byte for byte. */
START_TEST(test_stdin_exact)
{
	static const char want[] = RETURN_PATH BODY;
	struct deliver_result r;

	r = run2("pipe-copy.sh", out, 10);
	ck_assert_int_eq(r.status, DELIVER_OK);
	ck_assert_int_eq(r.reply, R_DATA_OK);
	ck_assert_str_eq(r.detail, "");
	expect_file(out, want, sizeof(want) - 1);
}
END_TEST

/* The null sender, an empty body, a body without a final newline. */
START_TEST(test_stdin_forms)
{
	sender.mailbox[0] = '\0';
	sender.local_len = 0;
	spool_body("", 0);
	ck_assert_int_eq(run2("pipe-copy.sh", out, 10).status, DELIVER_OK);
	expect_file(out, "Return-Path: <>\n", 16);
	spool_body("x\ny", 3);
	ck_assert_int_eq(run2("pipe-copy.sh", out, 10).status, DELIVER_OK);
	expect_file(out, "Return-Path: <>\nx\ny", 19);
}
END_TEST

/* A message of 1.5 MB from the spool's file, every byte in order. */
START_TEST(test_stdin_large)
{
	size_t n = 1500000, i;
	char *body, *want;

	body = malloc(n);
	want = malloc(sizeof(RETURN_PATH) - 1 + n);
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(want);
	for (i = 0; i < n; i++)
		body[i] = i % 77 == 76 ? '\n' : (char)('!' + i % 93);
	spool_body(body, n);
	ck_assert_int_ne(sp.fd, -1);
	memcpy(want, RETURN_PATH, sizeof(RETURN_PATH) - 1);
	memcpy(want + sizeof(RETURN_PATH) - 1, body, n);
	ck_assert_int_eq(run2("pipe-copy.sh", out, 20).status, DELIVER_OK);
	expect_file(out, want, sizeof(RETURN_PATH) - 1 + n);
	free(want);
	free(body);
}
END_TEST

/*
 * Exactly SENDER, RECIPIENT, LOCAL, DOMAIN (lower case) and PATH: none
 * of the caller's variables, though it has some of its own here.
 */
START_TEST(test_environment)
{
	static const char want[] =
	    "DOMAIN=mx.example.org\n"
	    "LOCAL=us.er\n"
	    "PATH=/usr/local/bin:/usr/bin:/bin\n"
	    "RECIPIENT=Us.er@MX.Example.ORG\n"
	    "SENDER=\n";
	static const char want2[] =
	    "DOMAIN=\n"
	    "LOCAL=postmaster\n"
	    "PATH=/usr/local/bin:/usr/bin:/bin\n"
	    "RECIPIENT=postmaster\n"
	    "SENDER=\"a b\"@x.example\n";

	ck_assert_int_eq(setenv("SMTPD_LEAK_CHECK", "leaked", 1), 0);
	ck_assert_int_eq(setenv("IFS", "x", 1), 0);
	sender.mailbox[0] = '\0';
	sender.local_len = 0;
	strcpy(rcpt.mailbox, "Us.er@MX.Example.ORG");
	rcpt.local_len = 5;
	ck_assert_int_eq(run2("pipe-env.sh", out, 10).status, DELIVER_OK);
	expect_file(out, want, sizeof(want) - 1);

	strcpy(sender.mailbox, "\"a b\"@x.example");
	sender.local_len = 5;
	strcpy(rcpt.mailbox, "postmaster");
	rcpt.local_len = 10;
	rcpt.postmaster = 1;
	ck_assert_int_eq(run2("pipe-env.sh", out, 10).status, DELIVER_OK);
	expect_file(out, want2, sizeof(want2) - 1);
	unsetenv("IFS");
	unsetenv("SMTPD_LEAK_CHECK");
}
END_TEST

/*
 * The client's address as TCPREMOTEIP, IPv6 without the "IPv6:" that
 * the Received header shows.
 */
START_TEST(test_environment_client)
{
	static const char want[] =
	    "DOMAIN=example.org\n"
	    "LOCAL=b\n"
	    "PATH=/usr/local/bin:/usr/bin:/bin\n"
	    "RECIPIENT=b@example.org\n"
	    "SENDER=a@example.org\n"
	    "TCPREMOTEIP=192.0.2.7\n";
	static const char want6[] =
	    "DOMAIN=example.org\n"
	    "LOCAL=b\n"
	    "PATH=/usr/local/bin:/usr/bin:/bin\n"
	    "RECIPIENT=b@example.org\n"
	    "SENDER=a@example.org\n"
	    "TCPREMOTEIP=2001:db8::7\n";

	strcpy(sender.mailbox, "a@example.org");
	sender.local_len = 1;
	strcpy(rcpt.mailbox, "b@example.org");
	rcpt.local_len = 1;
	client = "192.0.2.7";
	ck_assert_int_eq(run2("pipe-env.sh", out, 10).status, DELIVER_OK);
	expect_file(out, want, sizeof(want) - 1);
	client = "IPv6:2001:db8::7";
	ck_assert_int_eq(run2("pipe-env.sh", out, 10).status, DELIVER_OK);
	expect_file(out, want6, sizeof(want6) - 1);
	client = NULL;
}
END_TEST

/*
 * The exit status table, with the first non-blank stderr line (printable
 * ASCII, at most 120 octets) as the detail, or "exit status N".
 */
START_TEST(test_exit_status)
{
	static const struct {
		const char		*code, *err;
		enum deliver_status	 status;
		enum reply_id		 reply;
		const char		*detail;
	} t[] = {
		{ "75", "mailbox locked, try later\n", DELIVER_TEMP,
		    R_PIPE_TEMPFAIL, "mailbox locked, try later" },
		{ "67", "no such user here\nsecond line\n", DELIVER_PERM,
		    R_PIPE_NOUSER, "no such user here" },
		{ "1", "it broke", DELIVER_PERM, R_PIPE_FAILED, "it broke" },
		{ "75", "", DELIVER_TEMP, R_PIPE_TEMPFAIL, "exit status 75" },
		{ "67", "", DELIVER_PERM, R_PIPE_NOUSER, "exit status 67" },
		{ "1", "", DELIVER_PERM, R_PIPE_FAILED, "exit status 1" },
		{ "100", "\n \n\t\nthird \n", DELIVER_PERM, R_PIPE_FAILED,
		    "third" },
		{ "2", "caf\\0303\\0251 \\033[1mbold\\r\\n", DELIVER_PERM,
		    R_PIPE_FAILED, "caf [1mbold" },
		{ "0", "chatter on success\n", DELIVER_OK, R_DATA_OK, "" },
	};
	struct deliver_result r;
	char *argv[4];
	size_t i;

	argv[0] = helper("pipe-exit.sh");
	argv[3] = NULL;
	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		argv[1] = strdup(t[i].code);
		argv[2] = strdup(t[i].err);
		r = pipe_run(argv, 10);
		ck_assert_msg(r.status == t[i].status && r.reply == t[i].reply,
		    "exit %s: status %d reply %d, want %d %d", t[i].code,
		    r.status, r.reply, t[i].status, t[i].reply);
		ck_assert_str_eq(r.detail, t[i].detail);
		free(argv[2]);
		free(argv[1]);
	}
	free(argv[0]);
}
END_TEST

/*
 * A line that comes in two pieces, the first ending in spaces: they
 * are kept inside the line and trimmed only at its end.
 */
START_TEST(test_detail_in_pieces)
{
	char *argv[5];
	struct deliver_result r;

	argv[0] = helper("pipe-exit.sh");
	argv[1] = strdup("75");
	argv[2] = strdup("  quota  ");
	argv[3] = strdup(" exceeded  \\n");
	argv[4] = NULL;
	r = pipe_run(argv, 10);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_PIPE_TEMPFAIL);
	ck_assert_str_eq(r.detail, "quota   exceeded");
	free(argv[3]);
	free(argv[2]);
	free(argv[1]);
	free(argv[0]);
}
END_TEST

/* A long first line is cut at METHOD_DETAIL_MAX octets. */
START_TEST(test_detail_cut)
{
	char err[400], want[METHOD_DETAIL_MAX + 1], *argv[4];
	struct deliver_result r;

	memset(err, 'e', 300);
	memcpy(err + 300, "\\n", 3);
	memset(want, 'e', METHOD_DETAIL_MAX);
	want[METHOD_DETAIL_MAX] = '\0';
	argv[0] = helper("pipe-exit.sh");
	argv[1] = strdup("75");
	argv[2] = err;
	argv[3] = NULL;
	r = pipe_run(argv, 10);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_PIPE_TEMPFAIL);
	ck_assert_str_eq(r.detail, want);
	free(argv[1]);
	free(argv[0]);
}
END_TEST

/*
 * 1.3 MB on stderr before the program reads stdin: both drained at
 * once, or the two would block each other until the timeout.
 */
START_TEST(test_stderr_flood)
{
	static const char want[] = RETURN_PATH BODY;
	struct deliver_result r;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run2("pipe-stderr-flood.sh", out, 10);
	ck_assert_int_lt(ms_since(&t0), 9000);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_PIPE_FAILED);
	ck_assert_str_eq(r.detail, "firstline here");
	expect_file(out, want, sizeof(want) - 1);
}
END_TEST

/*
 * 1.3 MB on the program's stdout reach none of ours: fd 1 of smtpd is
 * the client's socket.  Here fd 1 is a file, which must stay empty.
 */
START_TEST(test_stdout_kept_away)
{
	struct deliver_result r;
	struct stat st;
	char *path = test_path(dir, "stdout");
	int saved, fd;

	fflush(stdout);
	saved = dup(1);
	ck_assert_int_ne(saved, -1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(dup2(fd, 1), 1);
	close(fd);
	r = run2("pipe-stdout.sh", NULL, 10);
	ck_assert_int_eq(dup2(saved, 1), 1);
	close(saved);
	ck_assert_int_eq(r.status, DELIVER_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	free(path);
}
END_TEST

/* A program that never reads its 1 MB stdin and exits 0 delivered it. */
START_TEST(test_stdin_closed_early)
{
	size_t n = 1 << 20;
	struct deliver_result r;
	struct timespec t0;
	char *body;

	body = malloc(n);
	ck_assert_ptr_nonnull(body);
	memset(body, 'x', n);
	spool_body(body, n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run2("pipe-close-stdin.sh", NULL, 10);
	ck_assert_int_lt(ms_since(&t0), SLOW_MS);
	ck_assert_int_eq(r.status, DELIVER_OK);
	ck_assert_int_eq(r.reply, R_DATA_OK);
	free(body);
}
END_TEST

/*
 * A program that hangs: 451 after timeout_s (1 s here), and it and its
 * child are killed, not left behind.
 */
START_TEST(test_timeout)
{
	struct deliver_result r;
	struct timespec t0;
	long ms, shell, child;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run2("pipe-hang.sh", out, 1);
	ms = ms_since(&t0);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_PIPE_TIMEOUT);
	ck_assert_int_ge(ms, 950);
	ck_assert_int_lt(ms, SLOW_MS);
	read_pids(out, &shell, &child);
	ck_assert_int_gt(child, 1);
	expect_gone((pid_t)shell);
	expect_gone((pid_t)child);
}
END_TEST

/*
 * A program that exits at once but leaves a child holding stderr:
 * the outcome comes when the program exits, not when stderr closes.
 */
START_TEST(test_grandchild_holds_stderr)
{
	struct deliver_result r;
	struct timespec t0;
	long ms, grandchild, none;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run2("pipe-grandchild.sh", out, 10);
	ms = ms_since(&t0);
	read_pids(out, &grandchild, &none);
	kill((pid_t)grandchild, SIGKILL);
	ck_assert_int_eq(r.status, DELIVER_OK);
	ck_assert_int_lt(ms, SLOW_MS);
	expect_gone((pid_t)grandchild);
}
END_TEST

/* Killed by a signal: temporary, with the signal's number. */
START_TEST(test_killed)
{
	struct deliver_result r;

	r = run2("pipe-signal.sh", NULL, 10);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_PIPE_CRASHED);
	ck_assert_str_eq(r.detail, "9");
}
END_TEST

/*
 * SIGPIPE is back to its default in the program, though ignored here:
 * "yes" into a closed pipe dies quietly instead of complaining.
 */
START_TEST(test_sigpipe_default)
{
	struct deliver_result r;

	r = run2("pipe-sigpipe.sh", NULL, 10);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_PIPE_FAILED);
	ck_assert_str_eq(r.detail, "exit status 3");
}
END_TEST

/* Descriptors of ours without FD_CLOEXEC are closed all the same. */
START_TEST(test_fds_closed)
{
	struct deliver_result r;
	int fd, p[2];

	fd = open(out, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(dup2(fd, 9), 9);
	ck_assert_int_eq(pipe(p), 0);
	r = run2("pipe-fds.sh", NULL, 10);
	close(p[0]);
	close(p[1]);
	close(9);
	close(fd);
	ck_assert_msg(r.status == DELIVER_OK, "status %d: %s", r.status,
	    r.detail);
}
END_TEST

/*
 * Envelope text in argv is passed as it is, one element each: never
 * seen by a shell, so nothing in it runs.
 */
START_TEST(test_argv_literal)
{
	char *argv[9], *pwned1, *pwned2, *pwned3, *want;
	struct deliver_result r;
	struct stat st;
	size_t i, n;

	pwned1 = test_path(dir, "pwned1");
	pwned2 = test_path(dir, "pwned2");
	pwned3 = test_path(dir, "pwned3");
	argv[0] = helper("pipe-args.sh");
	argv[1] = out;
	n = strlen(dir) + 64;
	for (i = 2; i < 5; i++) {
		argv[i] = malloc(n);
		ck_assert_ptr_nonnull(argv[i]);
	}
	snprintf(argv[2], n, "$(touch %s)", pwned1);
	snprintf(argv[3], n, "`touch %s`", pwned2);
	snprintf(argv[4], n, "x; touch %s #", pwned3);
	argv[5] = strdup("a  b\t*");
	argv[6] = strdup("");
	argv[7] = strdup("'\"\\");
	argv[8] = NULL;
	r = pipe_run(argv, 10);
	ck_assert_int_eq(r.status, DELIVER_OK);
	n = 64 + 3 * (strlen(dir) + 64);
	want = malloc(n);
	ck_assert_ptr_nonnull(want);
	snprintf(want, n, "6\n%s\n%s\n%s\n%s\n\n%s\n", argv[2], argv[3],
	    argv[4], argv[5], argv[7]);
	expect_file(out, want, strlen(want));
	ck_assert_int_eq(lstat(pwned1, &st), -1);
	ck_assert_int_eq(lstat(pwned2, &st), -1);
	ck_assert_int_eq(lstat(pwned3, &st), -1);
	for (i = 2; i < 8; i++)
		free(argv[i]);
	free(argv[0]);
	free(want);
	free(pwned3);
	free(pwned2);
	free(pwned1);
}
END_TEST

/*
 * The spool cannot be read (here: its file swapped for a write-only
 * one): 451 local error, though the program would exit 0 at EOF; it
 * is killed before it sees one.
 */
START_TEST(test_spool_unreadable)
{
	static char body[100000];
	char *other = test_path(dir, "other");
	struct deliver_result r;
	struct timespec t0;

	memset(body, 'x', sizeof(body));
	spool_body(body, sizeof(body));
	ck_assert_int_ne(sp.fd, -1);
	close(sp.fd);
	sp.fd = open(other, O_WRONLY | O_CREAT, 0600);	/* pread: EBADF */
	ck_assert_int_ne(sp.fd, -1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run2("pipe-copy.sh", out, 10);
	ck_assert_int_lt(ms_since(&t0), SLOW_MS);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_LOCAL_ERROR);
	free(other);
}
END_TEST

/*
 * A program that cannot be run: 451 (an admin's mistake, to be fixed
 * while the mail waits), saying why without naming the path.  A
 * relative path is refused before anything runs.
 */
START_TEST(test_exec_failure)
{
	char *missing = test_path(dir, "missing"), *argv[2];
	char *plain = test_path(dir, "plain");
	struct deliver_result r;

	argv[0] = missing;
	argv[1] = NULL;
	r = pipe_run(argv, 10);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_PIPE_TEMPFAIL);
	ck_assert_str_eq(r.detail, "cannot execute delivery program: "
	    "No such file or directory");

	test_write_file(plain, "#!/bin/sh\nexit 0\n", 17);
	ck_assert_int_eq(chmod(plain, 0644), 0);
	argv[0] = plain;
	r = pipe_run(argv, 10);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_PIPE_TEMPFAIL);
	ck_assert_str_eq(r.detail, "cannot execute delivery program: "
	    "Permission denied");

	argv[0] = strdup("tests/helpers/pipe-copy.sh");
	r = pipe_run(argv, 10);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_LOCAL_ERROR);
	free(argv[0]);
	free(plain);
	free(missing);
}
END_TEST

/*
 * The method tables keep the promise all or nothing rests on: a method
 * whose copy cannot be taken back (pipe) takes one recipient per SMTP
 * transaction; and each names itself and can write.
 */
START_TEST(test_method_tables)
{
	const struct method *const all[] = {
		&method_mbox, &method_maildir, &method_pipe
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(*all); i++) {
		ck_assert_ptr_nonnull(all[i]->name);
		ck_assert_ptr_nonnull(all[i]->write);
		ck_assert_msg(all[i]->undo != NULL || all[i]->one_rcpt,
		    "%s cannot take a copy back but allows two recipients",
		    all[i]->name);
		ck_assert_msg(all[i]->keep_size == 0 ||
		    all[i]->release != NULL, "%s keeps what it cannot release",
		    all[i]->name);
	}
	ck_assert(method_pipe.undo == NULL && method_pipe.one_rcpt);
}
END_TEST

Suite *
pipe_suite(void)
{
	Suite *s = suite_create("pipe");
	TCase *tc = tcase_create("pipe");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TEST_TIMEOUT);
	tcase_add_test(tc, test_stdin_exact);
	tcase_add_test(tc, test_stdin_forms);
	tcase_add_test(tc, test_stdin_large);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_environment_client);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_detail_in_pieces);
	tcase_add_test(tc, test_detail_cut);
	tcase_add_test(tc, test_stderr_flood);
	tcase_add_test(tc, test_stdout_kept_away);
	tcase_add_test(tc, test_stdin_closed_early);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_grandchild_holds_stderr);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_sigpipe_default);
	tcase_add_test(tc, test_fds_closed);
	tcase_add_test(tc, test_argv_literal);
	tcase_add_test(tc, test_spool_unreadable);
	tcase_add_test(tc, test_exec_failure);
	tcase_add_test(tc, test_method_tables);
	suite_add_tcase(s, tc);
	return s;
}
