/* ISC license. */
/*
 * Unit tests for deliver_mbox.c, called through its method table with
 * a spool filled here: mboxrd quoting across chunk boundaries, the
 * newline before a new message, refusal of symlinks, FIFOs, directories
 * and hard links, exact rollback when the file size limit hits, the
 * dot-lock (mboxlock.c), and a mailbox kept locked between messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>	/* SYS_fcntl, for /proc/PID/syscall */
#endif

#include "check_smtpd.h"
#include "method.h"
#include "spool.h"

/*
 * The spool is read in pieces of half the caller's scratch buffer
 * (deliver_mbox.c); the test gives it 2 * CHUNK, as deliver.c does.
 */
#define CHUNK		65536
#define FROM_LINE	"From a@b.example Tue Nov 14 22:13:20 2023\n"
#define RETURN_PATH	"Return-Path: <a@b.example>\n"

static char		*dir, *mbox_path, *lock_path;
static struct spool	 sp;
static struct addr	 sender, rcpt;
static struct envelope	 env;
static void		*keep;		/* kept between messages, or NULL */
static char		*scratch;	/* 2 * CHUNK */

static void	setup(void);
static void	teardown(void);
static struct deliver_result deliver_to(char *);
static struct deliver_result deliver_body(char *, const char *, size_t);
static void	keep_on(void);
static void	keep_off(void);
static size_t	mboxrd(const char *, size_t, char *);
static char	*expected(const char *, size_t, const char *, size_t,
		    size_t *);
static void	expect_file(const char *, const char *, size_t);
static void	expect_no_lock(void);
static long	ms_since(const struct timespec *);
static void	pause_ms(long);
static void	deliver_limited(void *, int *);
static void	deliver_kept_limited(void *, int *);


/*
 * An lstat(2) the test can arm: linked into the test binary, it stands
 * in for libc's for mboxlock.c too.  Armed with a lock path, the
 * first look at that lock, while it is stale, lets "another process"
 * slip in right after the look: it removes the stale lock and makes a
 * fresh one of its own, as a second deliverer breaking the same stale
 * lock would.  That holder lets go after a few more looks, noting
 * whether its own lock was still in place then.
 */
static const char	*swap_path;
static int		 swap_done, swap_looks, swap_intact;
static ino_t		 swap_ino;
static unsigned		 box_looks;	/* lstat(2)s of mbox_path */

int
lstat(const char *restrict path, struct stat *restrict st)
{
	struct stat now;
	int r = fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	int fd;

	if (mbox_path != NULL && strcmp(path, mbox_path) == 0)
		box_looks++;
	if (swap_path == NULL || strcmp(path, swap_path) != 0)
		return r;
	if (!swap_done && r == 0 && time(NULL) - st->st_mtime > 300) {
		swap_done = 1;
		unlink(path);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1) {
			if (fstat(fd, &now) == 0)
				swap_ino = now.st_ino;
			close(fd);
		}
	} else if (swap_done && ++swap_looks == 5) {
		swap_intact = fstatat(AT_FDCWD, path, &now,
		    AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == swap_ino;
		unlink(path);
	}
	return r;
}

static void
setup(void)
{
	test_env();
	umask(022);
	dir = test_tmpdir();
	mbox_path = test_path(dir, "mbox");
	lock_path = test_path(dir, "mbox.lock");
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
	keep = NULL;	/* nothing kept, as without a session */
	scratch = malloc(2 * CHUNK);
	ck_assert_ptr_nonnull(scratch);
	swap_path = NULL;
	swap_done = swap_looks = swap_intact = 0;
}

static void
teardown(void)
{
	keep_off();
	free(scratch);
	spool_reset(&sp);
	test_rmtree(dir);
	free(lock_path);
	free(mbox_path);
	free(dir);
}

/*
 * The whole delivery of the spool to one mbox, as deliver.c makes it
 * for a single destination: write, then done (kept when keep is set).
 */
static struct deliver_result
deliver_to(char *path)
{
	char *argv[2];
	struct method_copy c;
	struct deliver_result r;
	void *tx;

	argv[0] = path;
	argv[1] = NULL;
	memset(&c, 0, sizeof(c));
	c.env = &env;
	c.sp = &sp;
	c.argv = argv;
	c.rcpt = c.full = &rcpt;
	c.keep = keep;
	c.buf = scratch;
	c.bufsize = 2 * CHUNK;
	tx = calloc(1, method_mbox.tx_size);
	ck_assert_ptr_nonnull(tx);
	r = method_mbox.write(&c, tx);
	method_mbox.done(tx, keep);
	free(tx);
	return r;
}

/* Spool body[0..n) and deliver it to path. */
static struct deliver_result
deliver_body(char *path, const char *body, size_t n)
{
	spool_reset(&sp);
	ck_assert_int_eq(spool_write(&sp, body, n), 0);
	return deliver_to(path);
}

/* Keep the mailbox locked between deliveries, as a session does. */
static void
keep_on(void)
{
	if (keep == NULL)
		keep = calloc(1, method_mbox.keep_size);
	ck_assert_ptr_nonnull(keep);
}

/* Let the kept mailbox go, and keep none from now on. */
static void
keep_off(void)
{
	if (keep == NULL)
		return;
	method_mbox.close(keep);
	free(keep);
	keep = NULL;
}

/*
 * An independent mboxrd quoter, line by line: a line that matches
 * ^>*"From " gets one more '>'.  out needs n + lines octets.
 */
static size_t
mboxrd(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, e, j;

	while (i < n) {
		for (e = i; e < n && in[e] != '\n'; e++)
			;
		if (e < n)
			e++;
		for (j = i; j < e && in[j] == '>'; j++)
			;
		if (e - j >= 5 && memcmp(in + j, "From ", 5) == 0)
			out[o++] = '>';
		memcpy(out + o, in + i, e - i);
		o += e - i;
		i = e;
	}
	return o;
}

/* What the mailbox must hold: the old bytes, then the new message. */
static char *
expected(const char *old, size_t oldlen, const char *body, size_t n,
    size_t *len)
{
	size_t o = 0;
	char *r;

	r = malloc(oldlen + 1 + sizeof(FROM_LINE) + sizeof(RETURN_PATH) +
	    2 * n + 1);
	ck_assert_ptr_nonnull(r);
	memcpy(r, old, oldlen);
	o = oldlen;
	if (oldlen > 0 && old[oldlen - 1] != '\n')
		r[o++] = '\n';
	memcpy(r + o, FROM_LINE, sizeof(FROM_LINE) - 1);
	o += sizeof(FROM_LINE) - 1;
	memcpy(r + o, RETURN_PATH, sizeof(RETURN_PATH) - 1);
	o += sizeof(RETURN_PATH) - 1;
	o += mboxrd(body, n, r + o);
	r[o++] = '\n';
	*len = o;
	return r;
}

static void
expect_file(const char *path, const char *want, size_t n)
{
	const char *diff;
	size_t len;
	char *got;

	got = test_read_file(path, &len);
	ck_assert_msg(got != NULL, "%s is missing", path);
	diff = test_bytes_diff(got, len, want, n);
	free(got);	/* before failing: no leak under CK_FORK=no */
	if (diff != NULL)
		ck_abort_msg("%s: %s", path, diff);
}

/* A delivery, whatever its outcome, leaves no PATH.lock behind. */
static void
expect_no_lock(void)
{
	struct stat st;

	ck_assert_msg(lstat(lock_path, &st) == -1 && errno == ENOENT,
	    "%s left behind", lock_path);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* One small message, checked against literal bytes. */
START_TEST(test_small_exact)
{
	static const char body[] = "Subject: hi\n\nFrom me\n>From you\n"
	    ">>From x\nFrom\n>From\nFrom  two\n x From\n";
	static const char want[] = FROM_LINE RETURN_PATH
	    "Subject: hi\n\n>From me\n>>From you\n>>>From x\nFrom\n>From\n"
	    ">From  two\n x From\n\n";
	struct deliver_result r;
	struct stat st;

	r = deliver_body(mbox_path, body, sizeof(body) - 1);
	ck_assert_int_eq(r.status, DELIVER_OK);
	ck_assert_int_eq(r.reply, R_DATA_OK);
	expect_file(mbox_path, want, sizeof(want) - 1);
	expect_no_lock();
	/* created private (dma-mbox-create.c does the same) */
	ck_assert_int_eq(stat(mbox_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
}
END_TEST

/* Null sender, and a quoted local part with a space. */
START_TEST(test_sender_forms)
{
	static const char want[] =
	    "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\n"
	    "Return-Path: <>\n"
	    "x\n"
	    "\n"
	    "From \"a_b\"@x.example Tue Nov 14 22:13:20 2023\n"
	    "Return-Path: <\"a b\"@x.example>\n"
	    "y\n"
	    "\n";

	sender.mailbox[0] = '\0';
	sender.local_len = 0;
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	strcpy(sender.mailbox, "\"a b\"@x.example");
	sender.local_len = 5;
	ck_assert_int_eq(deliver_body(mbox_path, "y\n", 2).status,
	    DELIVER_OK);
	expect_file(mbox_path, want, sizeof(want) - 1);
}
END_TEST

/* An empty body, and a body whose last line has no newline. */
START_TEST(test_empty_and_unterminated)
{
	static const char want[] = FROM_LINE RETURN_PATH "\n"
	    FROM_LINE RETURN_PATH ">From x\n>From \n";
	size_t len;
	char *exp;

	ck_assert_int_eq(deliver_body(mbox_path, "", 0).status, DELIVER_OK);
	ck_assert_int_eq(deliver_body(mbox_path, "From x\nFrom ", 12).status,
	    DELIVER_OK);
	expect_file(mbox_path, want, sizeof(want) - 1);
	/* a held-back partial "From" is written out at the end */
	unlink(mbox_path);
	ck_assert_int_eq(deliver_body(mbox_path, ">>Fro", 5).status,
	    DELIVER_OK);
	exp = expected("", 0, ">>Fro", 5, &len);
	expect_file(mbox_path, exp, len);
	free(exp);
}
END_TEST

/*
 * A message of over 1 MiB, so the spool spills to a file, with quoted
 * and unquoted lines starting at every distance from a 16 KiB chunk
 * boundary, and lines of many '>' crossing several boundaries.
 */
START_TEST(test_quoting_across_chunks)
{
	static const char *const kinds[] = {
		"From x\n", ">From x\n", ">>>From x\n", "From\n", ">>>Frox\n",
		"From  two\n", ">\n", "F\n", ">>>>>>>>>>From y\n", "xFrom z\n",
	};
	const size_t nkinds = sizeof(kinds) / sizeof(*kinds);
	size_t cap = 80 * CHUNK * 2, n = 0, k, target, r, len;
	char *body, *exp;
	struct deliver_result res;
	int i;

	body = malloc(cap);
	ck_assert_ptr_nonnull(body);
	for (k = 1; k <= nkinds * 8; k++) {
		/* the kind's line starts 0..7 octets before boundary k */
		target = k * CHUNK - (k - 1) % 8;
		while (target - n > 101) {
			memset(body + n, 'a' + (char)(n % 26), 100);
			memcpy(body + n + 40, "From ", 5);
			body[n + 100] = '\n';
			n += 101;
		}
		if ((r = target - n) > 0) {
			memset(body + n, '.', r - 1);
			body[n + r - 1] = '\n';
			n += r;
		}
		len = strlen(kinds[(k - 1) / 8]);
		memcpy(body + n, kinds[(k - 1) / 8], len);
		n += len;
	}
	/* runs of '>' longer than two chunks, then From, or not */
	for (i = 0; i < 3; i++) {
		memset(body + n, '>', 40000);
		n += 40000;
		len = strlen(i == 0 ? "From q\n" : i == 1 ? "Frox\n" : "\n");
		memcpy(body + n, i == 0 ? "From q\n" : i == 1 ? "Frox\n" : "\n",
		    len);
		n += len;
	}
	memcpy(body + n, "From last\n", 10);
	n += 10;
	ck_assert_uint_le(n, cap);

	spool_reset(&sp);
	for (k = 0; k < n; k += 7777)
		ck_assert_int_eq(spool_write(&sp, body + k,
		    n - k < 7777 ? n - k : 7777), 0);
	ck_assert_int_ne(sp.fd, -1);	/* spilled to a file */
	res = deliver_to(mbox_path);
	ck_assert_int_eq(res.status, DELIVER_OK);
	exp = expected("", 0, body, n, &len);
	expect_file(mbox_path, exp, len);
	free(exp);

	/* the same again, appended: the old message stays as it was */
	res = deliver_to(mbox_path);
	ck_assert_int_eq(res.status, DELIVER_OK);
	{
		size_t len2;
		char *first = expected("", 0, body, n, &len);
		char *both = expected(first, len, body, n, &len2);

		expect_file(mbox_path, both, len2);
		free(both);
		free(first);
	}
	free(body);
}
END_TEST

/* A mailbox whose last octet is not a newline gets one first. */
START_TEST(test_missing_newline)
{
	static const char want1[] = "old message" "\n" FROM_LINE RETURN_PATH
	    "new\n\n";
	static const char want2[] = "old\n" FROM_LINE RETURN_PATH "new\n\n";

	test_write_file(mbox_path, "old message", 11);
	ck_assert_int_eq(deliver_body(mbox_path, "new\n", 4).status,
	    DELIVER_OK);
	expect_file(mbox_path, want1, sizeof(want1) - 1);
	/* one that ends in a newline gets nothing added */
	test_write_file(mbox_path, "old\n", 4);
	ck_assert_int_eq(deliver_body(mbox_path, "new\n", 4).status,
	    DELIVER_OK);
	expect_file(mbox_path, want2, sizeof(want2) - 1);
}
END_TEST

START_TEST(test_symlink_refused)
{
	char *target = test_path(dir, "target"), *nowhere;
	struct deliver_result r;
	struct stat st;

	test_write_file(target, "precious\n", 9);
	ck_assert_int_eq(symlink(target, mbox_path), 0);
	r = deliver_body(mbox_path, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	expect_file(target, "precious\n", 9);
	ck_assert_int_eq(lstat(mbox_path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	expect_no_lock();

	/* a dangling symlink must not create its target */
	nowhere = test_path(dir, "nowhere");
	ck_assert_int_eq(unlink(mbox_path), 0);
	ck_assert_int_eq(symlink(nowhere, mbox_path), 0);
	r = deliver_body(mbox_path, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	ck_assert_int_eq(lstat(nowhere, &st), -1);
	expect_no_lock();
	free(nowhere);
	free(target);
}
END_TEST

START_TEST(test_directory_refused)
{
	struct deliver_result r;
	struct stat st;

	ck_assert_int_eq(mkdir(mbox_path, 0700), 0);
	r = deliver_body(mbox_path, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	ck_assert_int_eq(lstat(mbox_path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	expect_no_lock();
}
END_TEST

/*
 * A FIFO is not a mailbox: refused, permanently (deliver.c: "a mailbox
 * that is not a regular file ... is permanent"), never blocking, and
 * nothing written into it, whether or not someone reads it.
 */
START_TEST(test_fifo_refused)
{
	struct deliver_result r;
	char buf[64];
	int rfd;

	ck_assert_int_eq(mkfifo(mbox_path, 0600), 0);
	/* with a reader, open succeeds and fstat must refuse it */
	rfd = open(mbox_path, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ne(rfd, -1);
	r = deliver_body(mbox_path, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	ck_assert_int_le(read(rfd, buf, sizeof(buf)), 0);
	close(rfd);
	expect_no_lock();
	/* without a reader */
	r = deliver_body(mbox_path, "x\n", 2);
	ck_assert_int_ne(r.status, DELIVER_OK);
	expect_no_lock();
	ck_assert_msg(r.status == DELIVER_PERM && r.reply == R_MAILBOX_BAD,
	    "FIFO without a reader: status %d reply %d, want PERM (%d) "
	    "R_MAILBOX_BAD (%d) as with a reader", r.status, r.reply,
	    DELIVER_PERM, R_MAILBOX_BAD);
}
END_TEST

START_TEST(test_hard_link_refused)
{
	char *other = test_path(dir, "other");
	struct deliver_result r;

	test_write_file(mbox_path, "old\n", 4);
	ck_assert_int_eq(link(mbox_path, other), 0);
	r = deliver_body(mbox_path, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	expect_file(mbox_path, "old\n", 4);
	expect_file(other, "old\n", 4);
	expect_no_lock();
	free(other);
}
END_TEST

/* The spooled message to mbox_path; status and reply in out[0..1]. */
static void
deliver_limited(void *arg, int *out)
{
	struct deliver_result r;

	(void)arg;
	r = deliver_to(mbox_path);
	out[0] = (int)r.status;
	out[1] = (int)r.reply;
}

/*
 * RLIMIT_FSIZE (a quota the process cannot pass): the append fails
 * part-way with EFBIG; the result is 452 4.3.1 and the mailbox is cut
 * back to exactly its old bytes.  In a child (test_fsize_limited()),
 * since the limit and the ignored SIGXFSZ must not outlive the test.
 */
START_TEST(test_file_size_limit)
{
	static const size_t room[] = { 0, 10, 60, 70000, 100000 };
	/* static: still reachable from a forked child, for valgrind */
	static char *old, *body;
	size_t oldlen = 5000, n = 300000, i, len;
	char *got;
	int outcome[2];

	old = malloc(oldlen);
	body = malloc(n);
	ck_assert_ptr_nonnull(old);
	ck_assert_ptr_nonnull(body);
	for (i = 0; i < oldlen; i++)
		old[i] = i % 50 == 49 ? '\n' : 'o';
	for (i = 0; i < n; i++)
		body[i] = i % 70 == 69 ? '\n' : (i % 70 == 0 ? 'F' : 'b');
	test_write_file(mbox_path, old, oldlen);
	/* spool first: the limit would stop the spool file too */
	spool_reset(&sp);
	ck_assert_int_eq(spool_write(&sp, body, n), 0);

	for (i = 0; i < sizeof(room) / sizeof(*room); i++) {
		test_fsize_limited(oldlen + room[i], deliver_limited, NULL,
		    outcome, 2);
		ck_assert_msg(outcome[0] == DELIVER_TEMP &&
		    outcome[1] == R_NO_SPACE, "room %zu: status %d reply %d, "
		    "want TEMP (%d) R_NO_SPACE (%d)", room[i], outcome[0],
		    outcome[1], DELIVER_TEMP, R_NO_SPACE);
		got = test_read_file(mbox_path, &len);
		ck_assert_ptr_nonnull(got);
		ASSERT_BYTES(got, len, old, oldlen);
		free(got);
		expect_no_lock();
	}
	free(body);
	free(old);
}
END_TEST

/*
 * With keep state, as a session has: after a delivery the mailbox stays
 * locked; the next message to it is appended exactly as if it had been
 * opened again; release lets it go.
 */
START_TEST(test_kept_between_messages)
{
	char *one, *both;
	size_t len, len2;
	struct stat st;

	keep_on();
	ck_assert_int_eq(deliver_body(mbox_path, "one\n", 4).status,
	    DELIVER_OK);
	ck_assert_msg(lstat(lock_path, &st) == 0, "kept without its lock");
	ck_assert_int_eq(deliver_body(mbox_path, "From two\n", 9).status,
	    DELIVER_OK);
	method_mbox.release(keep);
	expect_no_lock();
	one = expected("", 0, "one\n", 4, &len);
	both = expected(one, len, "From two\n", 9, &len2);
	expect_file(mbox_path, both, len2);
	free(both);
	free(one);
	/* turned off: nothing is kept */
	keep_off();
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	expect_no_lock();
}
END_TEST

/*
 * The session keeps the mailbox's directory open between messages
 * (deliver_mbox.c: open_dir), but the path still decides: with the
 * directory renamed away and a new one made under its name, the next
 * message goes into the new one, and the old mailbox is left as it was.
 */
START_TEST(test_kept_directory_moved)
{
	char *sub = test_path(dir, "box"), *old = test_path(dir, "old");
	char *path = test_path(sub, "mbox"), *moved = test_path(old, "mbox");
	char *one, *two;
	size_t len, len2;

	ck_assert_int_eq(mkdir(sub, 0700), 0);
	keep_on();
	ck_assert_int_eq(deliver_body(path, "one\n", 4).status, DELIVER_OK);
	method_mbox.release(keep);	/* as when the session waits */
	ck_assert_int_eq(rename(sub, old), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(deliver_body(path, "two\n", 4).status, DELIVER_OK);
	keep_off();
	one = expected("", 0, "one\n", 4, &len);
	two = expected("", 0, "two\n", 4, &len2);
	expect_file(moved, one, len);
	expect_file(path, two, len2);
	free(two);
	free(one);
	free(moved);
	free(path);
	free(old);
	free(sub);
}
END_TEST

/*
 * A kept mailbox that someone who ignores the locks renamed away is
 * not written to again: the next message goes to a new file under the
 * mailbox's name, and the renamed file keeps only the first.
 */
START_TEST(test_kept_replaced)
{
	char *moved = test_path(dir, "moved"), *one, *two;
	size_t len, len2;

	keep_on();
	ck_assert_int_eq(deliver_body(mbox_path, "one\n", 4).status,
	    DELIVER_OK);
	ck_assert_int_eq(rename(mbox_path, moved), 0);
	ck_assert_int_eq(deliver_body(mbox_path, "two\n", 4).status,
	    DELIVER_OK);
	method_mbox.release(keep);
	one = expected("", 0, "one\n", 4, &len);
	two = expected("", 0, "two\n", 4, &len2);
	expect_file(moved, one, len);
	expect_file(mbox_path, two, len2);
	free(two);
	free(one);
	free(moved);
}
END_TEST

/*
 * Which system call process pid is in, from /proc/PID/syscall (Linux):
 * its number, or -1 when it is running or this cannot be read.
 */
static long
syscall_of(pid_t pid)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * A busy mailbox is waited for in the kernel: while another process
 * holds its fcntl lock, the waiter sits in fcntl(2) (F_SETLKW), which
 * returns as soon as the lock is let go, and never in a sleep between
 * tries.  Seen from /proc, so Linux only.
 */
START_TEST(test_busy_lock_waits_in_kernel)
{
#if defined(__linux__) && defined(SYS_fcntl)
	struct flock fl;
	long sc, in_fcntl = 0, in_sleep = 0;
	int fd, status, i;
	pid_t pid;

	test_write_file(mbox_path, "old\n", 4);
	ck_assert_int_ne(fd = open(mbox_path, O_RDWR), -1);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	ck_assert_int_eq(fcntl(fd, F_SETLK, &fl), 0);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(deliver_body(mbox_path, "x\n", 2).status == DELIVER_OK ?
		    0 : 1);
	/* up to 10 s for the waiter to be seen waiting in fcntl */
	for (i = 0; i < 2000 && in_fcntl < 3; i++) {
		sc = syscall_of(pid);
		if (sc == SYS_fcntl)
			in_fcntl++;
#ifdef SYS_clock_nanosleep
		if (sc == SYS_clock_nanosleep)
			in_sleep++;
#endif
#ifdef SYS_nanosleep
		if (sc == SYS_nanosleep)
			in_sleep++;
#endif
		pause_ms(5);
	}
	close(fd);	/* the lock goes */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(in_fcntl == 3, "the waiter was never seen in fcntl");
	ck_assert_msg(in_sleep == 0, "the waiter slept %ld times", in_sleep);
#endif
}
END_TEST

/* A delivery to another mailbox first lets the kept one go. */
START_TEST(test_kept_released_for_another)
{
	char *other = test_path(dir, "other"), *other_lock;
	struct stat st;

	other_lock = test_path(dir, "other.lock");
	keep_on();
	ck_assert_int_eq(deliver_body(mbox_path, "a\n", 2).status,
	    DELIVER_OK);
	ck_assert_int_eq(deliver_body(other, "b\n", 2).status, DELIVER_OK);
	expect_no_lock();
	ck_assert_msg(lstat(other_lock, &st) == 0, "%s not kept", other_lock);
	method_mbox.release(keep);
	ck_assert_msg(lstat(other_lock, &st) == -1 && errno == ENOENT,
	    "%s left behind", other_lock);
	free(other_lock);
	free(other);
}
END_TEST

/*
 * Keep the mailbox, deliver a first message that fits the limit and a
 * second that does not; the second's status and reply in out[0..1].
 */
static void
deliver_kept_limited(void *arg, int *out)
{
	struct deliver_result r;

	(void)arg;
	keep_on();
	if (deliver_body(mbox_path, "one\n", 4).status != DELIVER_OK)
		return;
	r = deliver_body(mbox_path, "a longer second message\nthat does "
	    "not fit\n", 42);
	out[0] = (int)r.status;
	out[1] = (int)r.reply;
}

/*
 * A failure while appending to the kept mailbox cuts it back to the
 * bytes it had before that message, and releases it (in a child: the
 * file size limit must not outlive the test).
 */
START_TEST(test_kept_failure_rolls_back)
{
	char *one, *got;
	size_t len, glen;
	int outcome[2];

	one = expected("", 0, "one\n", 4, &len);
	/* room for the first message and 30 octets of the second */
	test_fsize_limited(len + 30, deliver_kept_limited, NULL, outcome, 2);
	ck_assert_int_eq(outcome[0], DELIVER_TEMP);
	ck_assert_int_eq(outcome[1], R_NO_SPACE);
	got = test_read_file(mbox_path, &glen);
	ck_assert_ptr_nonnull(got);
	ASSERT_BYTES(got, glen, one, len);
	free(got);
	free(one);
	expect_no_lock();
}
END_TEST

/* A PATH.lock older than the stale age is a dead locker's: removed. */
START_TEST(test_stale_lock)
{
	struct timespec times[2], t0;
	struct stat st;
	size_t len;
	char *exp;

	test_write_file(lock_path, "", 0);
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec -= 600;		/* ten minutes ago */
	times[1] = times[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, lock_path, times, 0), 0);
	ck_assert_int_eq(stat(lock_path, &st), 0);
	ck_assert_int_le(st.st_mtime, time(NULL) - 590);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	ck_assert_int_lt(ms_since(&t0), 5000);
	expect_no_lock();
	exp = expected("", 0, "x\n", 2, &len);
	expect_file(mbox_path, exp, len);
	free(exp);
}
END_TEST

/*
 * Breaking a stale lock removes only the lock found stale: when another
 * process has replaced it with a fresh one in between, that one is
 * left alone and waited for (issue: lstat, then unlink, raced).
 */
START_TEST(test_stale_lock_race)
{
	struct timespec times[2];
	size_t len;
	char *exp;

	test_write_file(lock_path, "", 0);
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec -= 600;
	times[1] = times[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, lock_path, times, 0), 0);
	swap_path = lock_path;
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	swap_path = NULL;
	ck_assert_msg(swap_done, "the stale lock was never looked at");
	ck_assert_msg(swap_intact,
	    "the fresh lock of another process was removed");
	expect_no_lock();
	exp = expected("", 0, "x\n", 2, &len);
	expect_file(mbox_path, exp, len);
	free(exp);
}
END_TEST

/* A pid no process has: a child's, once reaped. */
static pid_t
dead_pid(void)
{
	pid_t pid;

	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	test_reap(pid);
	return pid;
}

/* Write a fresh PATH.lock holding "PID HOST SIZE\n". */
static void
write_lock_record(long pid, const char *host, long long size)
{
	char buf[400];
	int n;

	n = snprintf(buf, sizeof(buf), "%ld %s %lld\n", pid, host, size);
	ck_assert(n > 0 && (size_t)n < sizeof(buf));
	test_write_file(lock_path, buf, (size_t)n);
}

/* Remove PATH.lock after ms, from a child, as a live holder would. */
static pid_t
holder_lets_go(long ms)
{
	pid_t pid;

	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		pause_ms(ms);
		unlink(lock_path);
		_exit(0);
	}
	return pid;
}

/*
 * smtpd killed in the middle of an append leaves its lock, recording
 * the size before, and a torn message: the next delivery finds the
 * holder dead, cuts the torn tail away and delivers at once.
 */
START_TEST(test_dead_holder_cut_back)
{
	static const char torn[] = "old\nFrom x@y Tue Nov 14 22:13:20 2023\n"
	    "Subject: half of a mess";
	char host[256];
	struct timespec t0;
	size_t len;
	char *exp;

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	test_write_file(mbox_path, torn, sizeof(torn) - 1);
	write_lock_record((long)dead_pid(), host, 4);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	ck_assert_int_lt(ms_since(&t0), 2000);
	expect_no_lock();
	exp = expected("old\n", 4, "x\n", 2, &len);
	expect_file(mbox_path, exp, len);
	free(exp);
}
END_TEST

/*
 * A lock whose holder lives, or lives on another host, or that is
 * not smtpd's record, is waited for, and nothing is cut.
 */
START_TEST(test_live_holder_waits)
{
	static const char *const hosts[] = { NULL, "other.invalid", "" };
	static const char tail[] = "old\nFrom holder\nbeing written\n";
	char host[256];
	struct timespec t0;
	size_t len, i;
	pid_t pid;
	char *exp;
	long ms;

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		test_write_file(mbox_path, tail, sizeof(tail) - 1);
		if (hosts[i] == NULL)	/* ourselves, a live process */
			write_lock_record((long)getppid(), host, 4);
		else if (hosts[i][0] != '\0')	/* dead, but elsewhere */
			write_lock_record((long)dead_pid(), hosts[i], 4);
		else	/* another program's lock: a bare pid */
			test_write_file(lock_path, "1\n", 2);
		pid = holder_lets_go(400);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
		    DELIVER_OK);
		ms = ms_since(&t0);
		test_reap(pid);
		ck_assert_int_ge(ms, 300);
		expect_no_lock();
		exp = expected(tail, sizeof(tail) - 1, "x\n", 2, &len);
		expect_file(mbox_path, exp, len);
		free(exp);
	}
}
END_TEST

/*
 * The lock records the size from before the first append under it,
 * kept across pipelined messages whose replies have not gone out yet:
 * read while the mailbox is kept after one message, then after two.
 */
START_TEST(test_lock_record)
{
	char host[256], want[400];
	size_t len;
	char *got;

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	test_write_file(mbox_path, "old\n", 4);
	keep_on();
	ck_assert_int_eq(deliver_body(mbox_path, "a\n", 2).status,
	    DELIVER_OK);
	got = test_read_file(lock_path, &len);
	ck_assert_ptr_nonnull(got);
	snprintf(want, sizeof(want), "%ld %s 4\n", (long)getpid(), host);
	ASSERT_BYTES(got, len, want, strlen(want));
	free(got);
	ck_assert_int_eq(deliver_body(mbox_path, "b\n", 2).status,
	    DELIVER_OK);
	got = test_read_file(lock_path, &len);
	ck_assert_ptr_nonnull(got);
	snprintf(want, sizeof(want), "%ld %s 4\n", (long)getpid(), host);
	ASSERT_BYTES(got, len, want, strlen(want));
	free(got);
	keep_off();
	expect_no_lock();
}
END_TEST

/* Create name in the test directory holding text, or as a symlink. */
static void
make_in_dir(const char *name, const char *text, int as_symlink)
{
	char *p = test_path(dir, name);

	if (as_symlink)
		ck_assert_int_eq(symlink("/nonexistent", p), 0);
	else
		test_write_file(p, text, strlen(text));
	free(p);
}

/* Whether name exists in the test directory (not followed). */
static int
in_dir(const char *name)
{
	char *p = test_path(dir, name);
	struct stat st;
	int there = lstat(p, &st) == 0;

	free(p);
	return there;
}

/*
 * A record file is written before it is linked to the lock; one left
 * by a dead smtpd on this host, beside any mailbox's lock, is removed
 * by the next delivery to that directory.  A live process's, another
 * host's and anything not a regular file stay.
 */
START_TEST(test_dead_record_files_swept)
{
	char host[256], dead[300], dead2[300], live[300], other[300],
	    link[300];
	long d = (long)dead_pid();

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	snprintf(dead, sizeof(dead), ".mbox.lock.%ld.%s", d, host);
	snprintf(dead2, sizeof(dead2), ".x.y.lock.%ld.%s", d, host);
	snprintf(live, sizeof(live), ".mbox.lock.%ld.%s", (long)getppid(),
	    host);
	snprintf(other, sizeof(other), ".mbox.lock.%ld.other.invalid", d);
	snprintf(link, sizeof(link), ".z.lock.%ld.%s", d, host);
	make_in_dir(dead, "1 h 0\n", 0);
	make_in_dir(dead2, "", 0);
	make_in_dir(live, "", 0);
	make_in_dir(other, "", 0);
	make_in_dir(link, NULL, 1);
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	expect_no_lock();
	ck_assert(!in_dir(dead));
	ck_assert(!in_dir(dead2));
	ck_assert(in_dir(live));
	ck_assert(in_dir(other));
	ck_assert(in_dir(link));
}
END_TEST

/*
 * RCPT to the mailbox the session holds locked needs no look at it
 * (deliver_mbox.c: holder); once it is let go, it is looked at again.
 */
START_TEST(test_rcpt_to_held_mailbox)
{
	unsigned looks;

	keep_on();
	ck_assert_int_eq(deliver_body(mbox_path, "a\n", 2).status,
	    DELIVER_OK);
	looks = box_looks;
	ck_assert_int_eq(method_mbox.check_rcpt(mbox_path), R_NONE);
	ck_assert_uint_eq(box_looks, looks);
	method_mbox.release(keep);
	ck_assert_int_eq(method_mbox.check_rcpt(mbox_path), R_NONE);
	ck_assert_uint_eq(box_looks, looks + 1);
}
END_TEST

/*
 * A session keeps its record file between locks of one mailbox
 * (mboxlock.c: struct mboxlock_rec): named and holding the last record
 * while the mailbox is let go, linked as the lock again for the next
 * message with the new size written in place, and removed when the
 * session ends.
 */
START_TEST(test_kept_record_file)
{
	char host[256], rname[300], want[400];
	struct stat lk, rf;
	size_t len, one;
	char *got, *exp;

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	snprintf(rname, sizeof(rname), ".mbox.lock.%ld.%s", (long)getpid(),
	    host);
	test_write_file(mbox_path, "old\n", 4);
	keep_on();
	ck_assert_int_eq(deliver_body(mbox_path, "a\n", 2).status,
	    DELIVER_OK);
	method_mbox.release(keep);	/* as when the session waits */
	expect_no_lock();
	ck_assert(in_dir(rname));
	ck_assert_int_eq(deliver_body(mbox_path, "b\n", 2).status,
	    DELIVER_OK);
	ck_assert_int_eq(lstat(lock_path, &lk), 0);
	got = test_path(dir, rname);
	ck_assert_int_eq(lstat(got, &rf), 0);
	free(got);
	ck_assert(lk.st_ino == rf.st_ino && lk.st_nlink == 2);
	exp = expected("old\n", 4, "a\n", 2, &one);
	free(exp);
	got = test_read_file(lock_path, &len);
	ck_assert_ptr_nonnull(got);
	snprintf(want, sizeof(want), "%ld %s %zu\n", (long)getpid(), host,
	    one);
	ASSERT_BYTES(got, len, want, strlen(want));
	free(got);
	keep_off();
	expect_no_lock();
	ck_assert(!in_dir(rname));
}
END_TEST

/* A fresh PATH.lock makes delivery wait until its holder lets go. */
START_TEST(test_fresh_lock_waits)
{
	struct timespec t0;
	size_t len;
	char *exp;
	pid_t pid;
	long ms;

	test_write_file(lock_path, "", 0);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		pause_ms(400);
		unlink(lock_path);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	ms = ms_since(&t0);
	test_reap(pid);
	ck_assert_int_ge(ms, 300);
	ck_assert_int_lt(ms, 10000);
	expect_no_lock();
	exp = expected("", 0, "x\n", 2, &len);
	expect_file(mbox_path, exp, len);
	free(exp);
}
END_TEST

/* An fcntl lock held by another process (a mail reader) is waited for. */
START_TEST(test_fcntl_lock_waits)
{
	struct timespec t0;
	struct flock fl;
	size_t len;
	char *exp, c;
	int sync[2], fd;
	pid_t pid;
	long ms;

	test_write_file(mbox_path, "old\n", 4);
	ck_assert_int_eq(pipe(sync), 0);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sync[0]);
		if ((fd = open(mbox_path, O_RDWR)) == -1)
			_exit(1);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == -1)
			_exit(2);
		if (write(sync[1], "L", 1) != 1)
			_exit(3);
		pause_ms(400);
		_exit(0);	/* the lock goes with the process */
	}
	close(sync[1]);
	ck_assert_int_eq(read(sync[0], &c, 1), 1);
	close(sync[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(deliver_body(mbox_path, "x\n", 2).status,
	    DELIVER_OK);
	ms = ms_since(&t0);
	test_reap(pid);
	ck_assert_int_ge(ms, 250);
	expect_no_lock();
	exp = expected("old\n", 4, "x\n", 2, &len);
	expect_file(mbox_path, exp, len);
	free(exp);
}
END_TEST

Suite *
mbox_suite(void)
{
	Suite *s = suite_create("mbox");
	TCase *tq = tcase_create("format");
	TCase *tr = tcase_create("refusals");
	TCase *tl = tcase_create("locks");

	tcase_add_checked_fixture(tq, setup, teardown);
	tcase_set_timeout(tq, TEST_TIMEOUT);
	tcase_add_test(tq, test_small_exact);
	tcase_add_test(tq, test_sender_forms);
	tcase_add_test(tq, test_empty_and_unterminated);
	tcase_add_test(tq, test_quoting_across_chunks);
	tcase_add_test(tq, test_missing_newline);
	suite_add_tcase(s, tq);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_set_timeout(tr, TEST_TIMEOUT);
	tcase_add_test(tr, test_symlink_refused);
	tcase_add_test(tr, test_directory_refused);
	tcase_add_test(tr, test_fifo_refused);
	tcase_add_test(tr, test_hard_link_refused);
	tcase_add_test(tr, test_file_size_limit);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_set_timeout(tl, TEST_TIMEOUT);
	tcase_add_test(tl, test_stale_lock);
	tcase_add_test(tl, test_stale_lock_race);
	tcase_add_test(tl, test_dead_holder_cut_back);
	tcase_add_test(tl, test_live_holder_waits);
	tcase_add_test(tl, test_lock_record);
	tcase_add_test(tl, test_dead_record_files_swept);
	tcase_add_test(tl, test_kept_record_file);
	tcase_add_test(tl, test_rcpt_to_held_mailbox);
	tcase_add_test(tl, test_fresh_lock_waits);
	tcase_add_test(tl, test_fcntl_lock_waits);
	tcase_add_test(tl, test_kept_between_messages);
	tcase_add_test(tl, test_kept_directory_moved);
	tcase_add_test(tl, test_kept_replaced);
	tcase_add_test(tl, test_busy_lock_waits_in_kernel);
	tcase_add_test(tl, test_kept_released_for_another);
	tcase_add_test(tl, test_kept_failure_rolls_back);
	suite_add_tcase(s, tl);
	return s;
}
