/* ISC license. */
/*
 * Unit tests for deliver_maildir.c, called through its method table
 * with a spool filled here: exact file contents and unique names
 * under SMTPD_FAKE_TIME, directories created 0700, symlinks refused
 * with nothing written through them, names already taken, rollback,
 * and a file size limit that must leave tmp/ and new/ empty.  What a
 * copy holds is opaque here: holding it shows as one more open
 * descriptor (new/).
 */
#ifdef __linux__
#define _GNU_SOURCE	/* unshare(), sethostname(): see test_host_escaped */
#include <sched.h>
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "check_smtpd.h"
#include "method.h"
#include "spool.h"

#define HEAD	"Return-Path: <a@b.example>\nDelivered-To: u@mx.test\n"
#define BODY	"Received: from x by mx.test; " \
		"Tue, 14 Nov 2023 22:13:20 +0000\n" \
		"Subject: hi\n\nFrom me\n>From you\n.dot\n"


static char		*base, *md;
static char		 this_host[4 * 256];	/* escaped */
static struct spool	 sp;
static struct addr	 sender, rcpt;
static struct envelope	 env;
static void		*tx;		/* the method's tx_size octets */
static char		*scratch;	/* its buf_size octets */

static void	setup(void);
static void	teardown(void);
static struct deliver_result write_to(char *);
static struct deliver_result deliver_body(char *, const char *, size_t);
static int	open_fds(void);
static size_t	list_dir(const char *, char **, size_t);
static void	free_names(char **, size_t);
static void	expect_empty(const char *, const char *);
static char	*only_file(const char *, char **);
static void	escape_host(char *, size_t, const char *);
static unsigned long name_counter(const char *, pid_t, const char *);
static char	*make_name(unsigned long, pid_t, const char *);
static void	expect_mode(const char *, const char *, mode_t);
static void	get_host(void);
static void	deliver_limited(void *, int *);
static void	make_aged(const char *, const char *, char, long);
static int	exists(const char *, const char *);
#ifdef __linux__
static const char *uts_namespace(void);
#endif

static void
setup(void)
{
	char *tmp;

	test_env();
	/* where a syslog daemon listens, syslog(3) keeps its socket open
	 * from the first line on: open it now, so that open_fds() counts
	 * it before a delivery as well as after */
	openlog("check_smtpd", LOG_NDELAY, LOG_MAIL);
	umask(022);
	tmp = test_tmpdir();
	/* the walk refuses symlinks anywhere, so use the real path */
	base = realpath(tmp, NULL);
	ck_assert_ptr_nonnull(base);
	free(tmp);
	md = test_path(base, "Maildir");
	memset(&sender, 0, sizeof(sender));
	strcpy(sender.mailbox, "a@b.example");
	sender.local_len = 1;
	memset(&rcpt, 0, sizeof(rcpt));
	strcpy(rcpt.mailbox, "u@mx.test");
	rcpt.local_len = 1;
	env.sender = &sender;
	env.rcpts = NULL;
	env.nrcpts = 0;
	env.id = "6553F100000000001";
	env.when = 1700000000;
	spool_init(&sp);
	tx = calloc(1, method_maildir.tx_size);
	scratch = malloc(method_maildir.buf_size);
	ck_assert_ptr_nonnull(tx);
	ck_assert_ptr_nonnull(scratch);
}

static void
teardown(void)
{
	free(scratch);
	free(tx);
	spool_reset(&sp);
	test_rmtree(base);
	free(md);
	free(base);
}

/* Write the spool into dir, held in tx (for "u@mx.test"). */
static struct deliver_result
write_to(char *dir)
{
	char *argv[2];
	struct method_copy c;

	argv[0] = dir;
	argv[1] = NULL;
	memset(&c, 0, sizeof(c));
	c.env = &env;
	c.sp = &sp;
	c.argv = argv;
	c.rcpt = c.full = &rcpt;
	c.buf = scratch;
	c.bufsize = method_maildir.buf_size;
	return method_maildir.write(&c, tx);
}

/* Spool body[0..n) and write it into dir. */
static struct deliver_result
deliver_body(char *dir, const char *body, size_t n)
{
	spool_reset(&sp);
	ck_assert_int_eq(spool_write(&sp, body, n), 0);
	return write_to(dir);
}

/* Open descriptors among the first 1024: a held copy is one more. */
static int
open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/* The entries of dir but . and .., malloc'd; at most max. */
static size_t
list_dir(const char *dir, char **names, size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		ck_abort_msg("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_uint_lt(n, max);
		names[n] = strdup(de->d_name);
		ck_assert_ptr_nonnull(names[n]);
		n++;
	}
	closedir(d);
	return n;
}

static void
free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
}

/* dir/sub exists and holds nothing (sub NULL: dir itself). */
static void
expect_empty(const char *dir, const char *sub)
{
	char *path = sub == NULL ? strdup(dir) : test_path(dir, sub), *names[8];
	size_t n;

	ck_assert_ptr_nonnull(path);
	n = list_dir(path, names, 8);
	ck_assert_msg(n == 0, "%s holds %zu entries, first \"%s\"", path, n,
	    n > 0 ? names[0] : "");
	free_names(names, n);
	free(path);
}

/* The one file in dir/new, read; its name in *name. */
static char *
only_file(const char *dir, char **name)
{
	char *new = test_path(dir, "new"), *names[8], *path, *buf;
	size_t n, len;

	n = list_dir(new, names, 8);
	ck_assert_msg(n == 1, "%s holds %zu entries, want 1", new, n);
	path = test_path(new, names[0]);
	buf = test_read_file(path, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(strlen(buf), len);
	*name = names[0];
	free(path);
	free(new);
	return buf;
}

/* An independent rendering of maildir(5)'s host part. */
static void
escape_host(char *dst, size_t size, const char *host)
{
	size_t o = 0;

	for (; *host != '\0' && o + 5 < size; host++) {
		if (*host == '/') {
			memcpy(dst + o, "\\057", 4);
			o += 4;
		} else if (*host == ':') {
			memcpy(dst + o, "\\072", 4);
			o += 4;
		} else
			dst[o++] = *host;
	}
	dst[o] = '\0';
}

/*
 * The Q counter of a name that must be
 * "1700000000.M0P<pid>Q<digits>.<host>" exactly.
 */
static unsigned long
name_counter(const char *name, pid_t pid, const char *host)
{
	char prefix[64], *end;
	unsigned long q;
	size_t n;

	n = (size_t)snprintf(prefix, sizeof(prefix), "%s.M0P%ldQ",
	    TEST_FAKE_TIME, (long)pid);
	ck_assert_msg(strncmp(name, prefix, n) == 0,
	    "name \"%s\" does not start \"%s\"", name, prefix);
	ck_assert_msg(name[n] >= '1' && name[n] <= '9', "name \"%s\"", name);
	q = strtoul(name + n, &end, 10);
	ck_assert_msg(*end == '.' && strcmp(end + 1, host) == 0,
	    "name \"%s\" does not end \".%s\"", name, host);
	return q;
}

/* The name a delivery with counter q makes under this host name. */
static char *
make_name(unsigned long q, pid_t pid, const char *host)
{
	char *name;
	size_t n = 128 + strlen(host);

	name = malloc(n);
	ck_assert_ptr_nonnull(name);
	snprintf(name, n, "%s.M0P%ldQ%lu.%s", TEST_FAKE_TIME, (long)pid, q,
	    host);
	return name;
}

static void
expect_mode(const char *dir, const char *sub, mode_t mode)
{
	char *path = sub == NULL ? strdup(dir) : test_path(dir, sub);
	struct stat st;

	ck_assert_ptr_nonnull(path);
	ck_assert_msg(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(S_ISDIR(st.st_mode), "%s is not a directory", path);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s has mode %04o, "
	    "want %04o", path, (unsigned)(st.st_mode & 07777), (unsigned)mode);
	free(path);
}

/* This machine's host name as a unique name must show it. */
static void
get_host(void)
{
	char h[256];

	ck_assert_int_eq(gethostname(h, sizeof(h)), 0);
	h[sizeof(h) - 1] = '\0';
	escape_host(this_host, sizeof(this_host),
	    *h == '\0' ? "localhost" : h);
}

/*
 * A new Maildir: exact contents (no From_ quoting, no dot handling),
 * file mode 0600, the exact name, tmp/ and cur/ left empty; a second
 * delivery counts Q up by one.  A message over the spool's memory
 * buffer comes from its file, byte for byte.
 */
START_TEST(test_exact)
{
	static const char want[] = HEAD BODY;
	struct deliver_result r;
	unsigned long q;
	char *name, *got, *path, *big, *bigwant;
	struct stat st;
	size_t n = 300000, i, len;
	int fds;

	get_host();
	fds = open_fds();
	r = deliver_body(md, BODY, sizeof(BODY) - 1);
	ck_assert_int_eq(r.status, DELIVER_OK);
	ck_assert_int_eq(r.reply, R_DATA_OK);
	ck_assert_int_eq(open_fds(), fds + 1);	/* holds new/ */
	free(only_file(md, &name));		/* linked there */
	free(name);
	method_maildir.done(tx, NULL);
	ck_assert_int_eq(open_fds(), fds);
	got = only_file(md, &name);
	ASSERT_STR_BYTES(got, strlen(got), want);
	q = name_counter(name, getpid(), this_host);
	path = test_path(md, "new");
	{
		char *file = test_path(path, name);

		ck_assert_int_eq(lstat(file, &st), 0);
		ck_assert(S_ISREG(st.st_mode));
		ck_assert_int_eq(st.st_mode & 07777, 0600);
		ck_assert_int_eq(st.st_nlink, 1);	/* tmp/ link gone */
		ck_assert_int_eq(unlink(file), 0);
		free(file);
	}
	free(got);
	free(name);
	expect_empty(md, "tmp");
	expect_empty(md, "cur");

	/* the next one: Q + 1, and the spool file read whole */
	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < n; i++)
		big[i] = i % 61 == 60 ? '\n' : (char)('!' + i % 90);
	r = deliver_body(md, big, n);
	ck_assert_int_ne(sp.fd, -1);	/* spilled to a file */
	ck_assert_int_eq(r.status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	got = only_file(md, &name);
	{
		char *expname = make_name(q + 1, getpid(), this_host);

		ck_assert_str_eq(name, expname);
		free(expname);
	}
	bigwant = malloc(sizeof(HEAD) - 1 + n);
	ck_assert_ptr_nonnull(bigwant);
	memcpy(bigwant, HEAD, sizeof(HEAD) - 1);
	memcpy(bigwant + sizeof(HEAD) - 1, big, n);
	{
		char *file = test_path(path, name);

		free(got);
		got = test_read_file(file, &len);
		free(file);
	}
	ASSERT_BYTES(got, len, bigwant, sizeof(HEAD) - 1 + n);
	expect_empty(md, "tmp");
	free(bigwant);
	free(big);
	free(got);
	free(name);
	free(path);
}
END_TEST

/* Null sender; an empty body; a last line without its newline. */
START_TEST(test_sender_forms)
{
	static const char want1[] =
	    "Return-Path: <>\nDelivered-To: u@mx.test\n";
	static const char want2[] = "Return-Path: <\"a b\"@x.example>\n"
	    "Delivered-To: u@mx.test\nno newline";
	char *got, *name, *file, *new;

	new = test_path(md, "new");
	sender.mailbox[0] = '\0';
	sender.local_len = 0;
	ck_assert_int_eq(deliver_body(md, "", 0).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	got = only_file(md, &name);
	ASSERT_STR_BYTES(got, strlen(got), want1);
	file = test_path(new, name);
	ck_assert_int_eq(unlink(file), 0);
	free(file);
	free(name);
	free(got);

	strcpy(sender.mailbox, "\"a b\"@x.example");
	sender.local_len = 5;
	ck_assert_int_eq(deliver_body(md, "no newline", 10).status,
	    DELIVER_OK);
	method_maildir.done(tx, NULL);
	got = only_file(md, &name);
	ASSERT_STR_BYTES(got, strlen(got), want2);
	free(name);
	free(got);
	free(new);
}
END_TEST

/*
 * DIR, its missing parents, tmp, new and cur are made 0700 whatever
 * the umask lets through; directories that were there keep their mode.
 */
START_TEST(test_created_0700)
{
	char *parent = test_path(base, "existing"), *dir;

	ck_assert_int_eq(mkdir(parent, 0755), 0);
	ck_assert_int_eq(chmod(parent, 0755), 0);
	dir = test_path(base, "existing/a/b//Maildir/");
	umask(0);
	ck_assert_int_eq(deliver_body(dir, "x\n", 2).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	umask(022);
	expect_mode(parent, NULL, 0755);
	expect_mode(parent, "a", 0700);
	expect_mode(parent, "a/b", 0700);
	expect_mode(parent, "a/b/Maildir", 0700);
	expect_mode(parent, "a/b/Maildir/tmp", 0700);
	expect_mode(parent, "a/b/Maildir/new", 0700);
	expect_mode(parent, "a/b/Maildir/cur", 0700);
	free(dir);
	free(parent);
}
END_TEST

/*
 * A relative DIR is taken from the working directory, and a Maildir
 * that exists (with only tmp and new: cur is added) is used as it is.
 */
START_TEST(test_relative_dir)
{
	char *name, *got;
	int here;

	ck_assert_int_eq(mkdir(md, 0750), 0);
	ck_assert_int_eq(chmod(md, 0750), 0);
	{
		char *t = test_path(md, "tmp"), *n = test_path(md, "new");

		ck_assert_int_eq(mkdir(t, 0755), 0);
		ck_assert_int_eq(mkdir(n, 0755), 0);
		free(n);
		free(t);
	}
	here = open(".", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(here, -1);
	ck_assert_int_eq(chdir(base), 0);
	ck_assert_int_eq(deliver_body("Maildir", "x\n", 2).status,
	    DELIVER_OK);
	method_maildir.done(tx, NULL);
	ck_assert_int_eq(fchdir(here), 0);
	close(here);
	expect_mode(md, NULL, 0750);
	expect_mode(md, "tmp", 0755);
	expect_mode(md, "new", 0755);
	expect_mode(md, "cur", 0700);
	got = only_file(md, &name);
	ASSERT_STR_BYTES(got, strlen(got), HEAD "x\n");
	free(name);
	free(got);
}
END_TEST

/*
 * DIR a symlink (to a directory, or dangling), or a symlink among its
 * parents: refused for good, and nothing appears at the target.
 */
START_TEST(test_symlinked_dir)
{
	char *real = test_path(base, "real"), *link = test_path(base, "link");
	char *nowhere = test_path(base, "nowhere"), *via;
	struct deliver_result r;
	struct stat st;
	int fds;

	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, link), 0);
	fds = open_fds();
	r = deliver_body(link, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	ck_assert_int_eq(open_fds(), fds);	/* holds nothing */
	method_maildir.undo(tx);	/* no-ops after a failure */
	method_maildir.done(tx, NULL);
	expect_empty(real, NULL);

	/* a parent */
	via = test_path(link, "Maildir");
	r = deliver_body(via, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	expect_empty(real, NULL);
	free(via);

	/* dangling */
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(nowhere, link), 0);
	r = deliver_body(link, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	ck_assert_int_eq(lstat(nowhere, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	free(nowhere);
	free(link);
	free(real);
}
END_TEST

/*
 * new, tmp or cur a symlink to another directory: refused, nothing
 * written there, and nothing left in the Maildir's own tmp/ or new/.
 */
START_TEST(test_symlinked_subdir)
{
	static const char *const subs[] = { "new", "tmp", "cur" };
	char *elsewhere = test_path(base, "elsewhere"), *p;
	struct deliver_result r;
	size_t i, j;

	ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
	for (i = 0; i < 3; i++) {
		test_rmtree(md);
		ck_assert_int_eq(mkdir(md, 0700), 0);
		for (j = 0; j < 3; j++) {
			p = test_path(md, subs[j]);
			if (j == i)
				ck_assert_int_eq(symlink(elsewhere, p), 0);
			else
				ck_assert_int_eq(mkdir(p, 0700), 0);
			free(p);
		}
		r = deliver_body(md, "x\n", 2);
		ck_assert_msg(r.status == DELIVER_PERM &&
		    r.reply == R_MAILBOX_BAD, "%s symlinked: status %d "
		    "reply %d", subs[i], r.status, r.reply);
		method_maildir.done(tx, NULL);
		expect_empty(elsewhere, NULL);
		for (j = 0; j < 3; j++)
			if (j != i)
				expect_empty(md, subs[j]);
	}
	free(elsewhere);
}
END_TEST

/* DIR or new a regular file: refused for good, the file untouched. */
START_TEST(test_not_a_directory)
{
	struct deliver_result r;
	char *p, *got;
	size_t len;

	test_write_file(md, "file\n", 5);
	r = deliver_body(md, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	got = test_read_file(md, &len);
	ASSERT_STR_BYTES(got, len, "file\n");
	free(got);
	ck_assert_int_eq(unlink(md), 0);

	ck_assert_int_eq(mkdir(md, 0700), 0);
	p = test_path(md, "new");
	test_write_file(p, "file\n", 5);
	r = deliver_body(md, "x\n", 2);
	ck_assert_int_eq(r.status, DELIVER_PERM);
	ck_assert_int_eq(r.reply, R_MAILBOX_BAD);
	got = test_read_file(p, &len);
	ASSERT_STR_BYTES(got, len, "file\n");
	expect_empty(md, "tmp");
	free(got);
	free(p);
}
END_TEST

/* undo takes the message back out of new/; done keeps it. */
START_TEST(test_undo)
{
	char *name, *got;
	int fds;

	fds = open_fds();
	ck_assert_int_eq(deliver_body(md, "x\n", 2).status, DELIVER_OK);
	free(only_file(md, &name));	/* linked in new/ */
	free(name);
	method_maildir.undo(tx);
	expect_empty(md, "new");
	method_maildir.undo(tx);	/* a second undo does nothing */
	method_maildir.done(tx, NULL);
	ck_assert_int_eq(open_fds(), fds);
	expect_empty(md, "new");
	expect_empty(md, "tmp");

	ck_assert_int_eq(deliver_body(md, "y\n", 2).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	method_maildir.undo(tx);	/* after done: nothing to undo */
	got = only_file(md, &name);
	ASSERT_STR_BYTES(got, strlen(got), HEAD "y\n");
	free(name);
	free(got);
}
END_TEST

/* Make dir/name with mtime age seconds ago; kind 'f' file, 'd' dir. */
static void
make_aged(const char *dir, const char *name, char kind, long age)
{
	struct timespec times[2];
	char *path = test_path(dir, name);

	if (kind == 'd')
		ck_assert_int_eq(mkdir(path, 0700), 0);
	else
		test_write_file(path, "orphan\n", 7);
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec -= age;
	times[1] = times[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, path, times,
	    AT_SYMLINK_NOFOLLOW), 0);
	free(path);
}

static int
exists(const char *dir, const char *name)
{
	struct stat st;
	char *path = test_path(dir, name);
	int r = lstat(path, &st) == 0;

	free(path);
	return r;
}

/*
 * A delivery removes regular files older than 36 hours from tmp/
 * (maildir(5)), and nothing else: not a fresh file, not a directory,
 * not a symlink nor what it points to; at most 16 per delivery.
 */
START_TEST(test_tmp_orphans)
{
	char *tmpdir, *outside, *link, name[32], *names[64];
	size_t n, i;
	int old_left = 0;

	ck_assert_int_eq(deliver_body(md, "x\n", 2).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	tmpdir = test_path(md, "tmp");
	outside = test_path(base, "precious");
	make_aged(base, "precious", 'f', 40 * 3600L);
	link = test_path(tmpdir, "old-link");
	ck_assert_int_eq(symlink(outside, link), 0);
	{
		struct timespec times[2];

		clock_gettime(CLOCK_REALTIME, &times[0]);
		times[0].tv_sec -= 40 * 3600L;
		times[1] = times[0];
		ck_assert_int_eq(utimensat(AT_FDCWD, link, times,
		    AT_SYMLINK_NOFOLLOW), 0);
	}
	make_aged(tmpdir, "old-dir", 'd', 40 * 3600L);
	make_aged(tmpdir, "fresh", 'f', 35 * 3600L);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "old-%zu", i);
		make_aged(tmpdir, name, 'f', 37 * 3600L);
	}
	ck_assert_int_eq(deliver_body(md, "y\n", 2).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "old-%zu", i);
		old_left += exists(tmpdir, name);
	}
	ck_assert_int_eq(old_left, 4);	/* 16 removed */
	ck_assert(exists(tmpdir, "fresh"));
	ck_assert(exists(tmpdir, "old-dir"));
	ck_assert(exists(tmpdir, "old-link"));
	ck_assert(exists(base, "precious"));
	ck_assert_int_eq(deliver_body(md, "z\n", 2).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	n = list_dir(tmpdir, names, 64);
	ck_assert_uint_eq(n, 3);	/* fresh, old-dir, old-link */
	free_names(names, n);
	free(link);
	free(outside);
	free(tmpdir);
}
END_TEST

/*
 * Names already taken, in tmp/ (by a file) or in new/ (where rename
 * would replace a message): skipped with the counter, and left as they
 * were.
 */
START_TEST(test_name_taken)
{
	char *new, *tmp, *name, *got, *t1, *n2, *want, *path;
	unsigned long q;
	size_t len;

	get_host();
	new = test_path(md, "new");
	tmp = test_path(md, "tmp");
	ck_assert_int_eq(deliver_body(md, "x\n", 2).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	free(only_file(md, &name));
	q = name_counter(name, getpid(), this_host);
	path = test_path(new, name);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	free(name);

	name = make_name(q + 1, getpid(), this_host);
	t1 = test_path(tmp, name);
	free(name);
	name = make_name(q + 2, getpid(), this_host);
	n2 = test_path(new, name);
	free(name);
	test_write_file(t1, "tmp junk\n", 9);
	test_write_file(n2, "old message\n", 12);
	ck_assert_int_eq(deliver_body(md, "y\n", 2).status, DELIVER_OK);
	method_maildir.done(tx, NULL);
	want = make_name(q + 3, getpid(), this_host);
	path = test_path(new, want);
	got = test_read_file(path, &len);
	ck_assert_msg(got != NULL, "%s missing", path);
	ASSERT_STR_BYTES(got, len, HEAD "y\n");
	free(got);
	got = test_read_file(t1, &len);
	ck_assert_ptr_nonnull(got);
	ASSERT_STR_BYTES(got, len, "tmp junk\n");
	free(got);
	got = test_read_file(n2, &len);
	ck_assert_ptr_nonnull(got);
	ASSERT_STR_BYTES(got, len, "old message\n");
	free(got);
	free(path);
	free(want);
	free(n2);
	free(t1);
	free(tmp);
	free(new);
}
END_TEST

/*
 * The spooled message to md: status, reply and how many descriptors
 * the copy holds (0 for nothing) in out[0..2].
 */
static void
deliver_limited(void *arg, int *out)
{
	struct deliver_result r;
	int fds;

	(void)arg;
	fds = open_fds();
	r = write_to(md);
	out[0] = (int)r.status;
	out[1] = (int)r.reply;
	out[2] = open_fds() - fds;
}

/*
 * RLIMIT_FSIZE, like a quota: the write fails part-way with EFBIG, the
 * outcome is 452 4.3.1, and neither tmp/ nor new/ keeps anything.  In
 * a child (test_fsize_limited()), since the limit and the ignored
 * SIGXFSZ must not last.
 */
START_TEST(test_file_size_limit)
{
	static const size_t room[] = { 0, 10, 60, 70000, 100000 };
	/* static: still reachable from a forked child, for valgrind */
	static char *body;
	size_t n = 300000, i;
	int outcome[3];

	body = malloc(n);
	ck_assert_ptr_nonnull(body);
	for (i = 0; i < n; i++)
		body[i] = i % 70 == 69 ? '\n' : 'b';
	spool_reset(&sp);
	ck_assert_int_eq(spool_write(&sp, body, n), 0);
	for (i = 0; i < sizeof(room) / sizeof(*room); i++) {
		test_fsize_limited(room[i], deliver_limited, NULL, outcome, 3);
		ck_assert_msg(outcome[0] == DELIVER_TEMP &&
		    outcome[1] == R_NO_SPACE, "room %zu: status %d reply %d, "
		    "want TEMP (%d) R_NO_SPACE (%d)", room[i], outcome[0],
		    outcome[1], DELIVER_TEMP, R_NO_SPACE);
		ck_assert_int_eq(outcome[2], 0);	/* tx holds nothing */
		expect_empty(md, "tmp");
		expect_empty(md, "new");
		expect_empty(md, "cur");
	}
	free(body);
}
END_TEST

/*
 * The spool cannot be read (its file swapped for a write-only one):
 * 451 local error, and nothing left in tmp/ or new/.
 */
START_TEST(test_spool_unreadable)
{
	static char body[100000];
	struct deliver_result r;
	char *other = test_path(base, "other");
	int fds;

	memset(body, 'x', sizeof(body));
	spool_reset(&sp);
	ck_assert_int_eq(spool_write(&sp, body, sizeof(body)), 0);
	ck_assert_int_ne(sp.fd, -1);
	close(sp.fd);
	sp.fd = open(other, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ne(sp.fd, -1);
	fds = open_fds();
	r = write_to(md);
	ck_assert_int_eq(r.status, DELIVER_TEMP);
	ck_assert_int_eq(r.reply, R_LOCAL_ERROR);
	ck_assert_int_eq(open_fds(), fds);	/* holds nothing */
	expect_empty(md, "tmp");
	expect_empty(md, "new");
	free(other);
}
END_TEST

#ifdef __linux__
/*
 * A host name holding '/' and ':' is written \057 and \072 in the
 * name.  Needs a UTS namespace of its own (root, Linux): maildir_suite()
 * tries one first and, when it cannot, skips this test.  The child
 * answers "S" (no namespace after all), "F" (delivery failed) or "N"
 * (delivered: the name is read back from new/).
 */
START_TEST(test_host_escaped)
{
	char buf[300], *got;
	int res[2];
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(res), 0);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		close(res[0]);
		if (unshare(CLONE_NEWUTS) == -1 ||
		    sethostname("mx/a:b.test", 11) == -1)
			n = write(res[1], "S", 1);
		else if (deliver_body(md, "x\n", 2).status != DELIVER_OK)
			n = write(res[1], "F", 1);
		else
			n = write(res[1], "N", 1);
		_exit(n > 0 ? 0 : 1);
	}
	close(res[1]);
	n = read(res[0], buf, sizeof(buf) - 1);
	close(res[0]);
	test_reap(pid);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(buf[0] != 'S', "no UTS namespace, though "
	    "maildir_suite() could make one");
	ck_assert_msg(buf[0] == 'N', "delivery under host name "
	    "\"mx/a:b.test\" failed");
	free(only_file(md, &got));
	name_counter(got, pid, "mx\\057a\\072b.test");
	free(got);
}
END_TEST

/*
 * Can a child have a UTS namespace and a host name of its own?  NULL
 * if so, else why not (a static string).
 */
static const char *
uts_namespace(void)
{
	static char why[200];
	int status, err[2];
	ssize_t n;
	pid_t pid;

	if (pipe(err) == -1 || (pid = fork()) == -1)
		return "no pipe or fork to try unshare(CLONE_NEWUTS)";
	if (pid == 0) {
		close(err[0]);
		if (unshare(CLONE_NEWUTS) == 0 &&
		    sethostname("probe.test", 10) == 0)
			_exit(0);
		n = snprintf(why, sizeof(why), "no UTS namespace of its own "
		    "(unshare(CLONE_NEWUTS), sethostname: %s; needs root on "
		    "Linux)", strerror(errno));
		n = write(err[1], why, (size_t)n);
		_exit(n > 0 ? 1 : 2);
	}
	close(err[1]);
	n = read(err[0], why, sizeof(why) - 1);
	close(err[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return "waitpid failed after trying unshare";
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	if (n <= 0)
		return "unshare(CLONE_NEWUTS) failed";
	why[n] = '\0';
	return why;
}
#endif

Suite *
maildir_suite(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("maildir");
#ifdef __linux__
	const char *why;
#endif

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, TEST_TIMEOUT);
	tcase_add_test(tc, test_exact);
	tcase_add_test(tc, test_sender_forms);
	tcase_add_test(tc, test_created_0700);
	tcase_add_test(tc, test_relative_dir);
	tcase_add_test(tc, test_symlinked_dir);
	tcase_add_test(tc, test_symlinked_subdir);
	tcase_add_test(tc, test_not_a_directory);
	tcase_add_test(tc, test_undo);
	tcase_add_test(tc, test_name_taken);
	tcase_add_test(tc, test_file_size_limit);
	tcase_add_test(tc, test_spool_unreadable);
	tcase_add_test(tc, test_tmp_orphans);
#ifdef __linux__
	if ((why = uts_namespace()) == NULL)
		tcase_add_test(tc, test_host_escaped);
	else
		test_skip("maildir", "maildir", "test_host_escaped", why);
#else
	test_skip("maildir", "maildir", "test_host_escaped",
	    "no UTS namespaces: not Linux");
#endif
	suite_add_tcase(s, tc);
	return s;
}
