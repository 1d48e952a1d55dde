/* ISC license. */
/*
 * The unit test runner: one SRunner holding a Suite per module (pick
 * one with CK_RUN_SUITE=linebuf|addr|unstuff|session|mbox|maildir|pipe|
 * help|reply|proxy, and a test case with CK_RUN_CASE), plus the helpers the
 * suites share.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_smtpd.h"

static size_t	escape(char *, size_t, const char *, size_t);

static int	skipped;	/* tests test_skip() left out */

/*
 * The clock and zone every test sees, so dates and message ids are
 * fixed (util.c reads SMTPD_FAKE_TIME at its first call, after this).
 */
void
test_env(void)
{
	if (setenv("SMTPD_FAKE_TIME", TEST_FAKE_TIME, 1) == -1 ||
	    setenv("TZ", "UTC", 1) == -1)
		ck_abort_msg("setenv: %s", strerror(errno));
	tzset();
}

/* A new private directory; the caller frees the name. */
char *
test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;
	size_t n;

	if (base == NULL || *base != '/')
		base = "/tmp";
	n = strlen(base) + sizeof("/check_smtpd.XXXXXX");
	if ((dir = malloc(n)) == NULL)
		ck_abort_msg("out of memory");
	snprintf(dir, n, "%s/check_smtpd.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		ck_abort_msg("mkdtemp %s: %s", dir, strerror(errno));
	return dir;
}

/* Remove dir and everything below it (no symlink is followed). */
void
test_rmtree(const char *dir)
{
	struct dirent *de;
	struct stat st;
	char *path;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = test_path(dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			test_rmtree(path);
		else
			unlink(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
}

/* dir "/" name, malloc'd. */
char *
test_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p;

	if ((p = malloc(n)) == NULL)
		ck_abort_msg("out of memory");
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* The whole file, malloc'd and NUL-terminated; NULL if it is missing. */
char *
test_read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return NULL;
		ck_abort_msg("open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == -1)
		ck_abort_msg("fstat %s: %s", path, strerror(errno));
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		ck_abort_msg("out of memory");
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			ck_abort_msg("read %s: %s", path,
			    r == 0 ? "short" : strerror(errno));
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

void
test_write_file(const char *path, const char *p, size_t n)
{
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd == -1)
		ck_abort_msg("create %s: %s", path, strerror(errno));
	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			ck_abort_msg("write %s: %s", path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) == -1)
		ck_abort_msg("close %s: %s", path, strerror(errno));
}

/*
 * Fork a child that writes p[0..n) to fd in writes of at most chunk
 * octets, pausing delay_ns between them, then exits; it first closes
 * other (the reading end), or a reader that stops reading would leave
 * it blocked for ever.  It stops quietly when the reader is gone.
 */
pid_t
test_writer(int fd, int other, const char *p, size_t n, size_t chunk,
    long delay_ns)
{
	struct timespec ts = { 0, delay_ns };
	size_t k;
	ssize_t w;
	pid_t pid;

	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid != 0)
		return pid;
	signal(SIGPIPE, SIG_IGN);
	if (other != -1)
		close(other);
	while (n > 0) {
		k = n < chunk ? n : chunk;
		w = write(fd, p, k);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		p += w;
		n -= (size_t)w;
		if (delay_ns > 0 && n > 0)
			nanosleep(&ts, NULL);
	}
	close(fd);
	_exit(0);
}

/* Wait for a child; its raw wait status. */
int
test_reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			ck_abort_msg("waitpid: %s", strerror(errno));
	return status;
}

/* Append s to the NUL-terminated text in buf[0..size). */
void
test_add(char *buf, size_t size, const char *s)
{
	size_t o = strlen(buf), n = strlen(s);

	if (o + n >= size)
		ck_abort_msg("test_add: %zu octets do not fit in %zu", o + n,
		    size);
	memcpy(buf + o, s, n + 1);
}

/*
 * Append reply id as smtpd writes it, "code [esc ]text" CR LF, its text
 * from reply_table with the one "%s" (if any) replaced by arg: so a
 * test states which reply it wants, and reply.h alone says its words.
 */
void
test_add_reply(char *buf, size_t size, enum reply_id id, const char *arg)
{
	const struct reply_text *r = &reply_table[id];
	char line[REPLY_LINE_MAX + 1];

	/* a row that names the server and takes no argument (the
	 * greeting, 221, 421) is given the server's name as arg */
	if (strstr(r->text, "%h") != NULL && strstr(r->text, "%s") == NULL)
		reply_format(line, sizeof(line), id, arg, NULL, 0);
	else
		reply_format(line, sizeof(line), id, TEST_HOST, arg, 0);
	test_add(buf, size, line);
}

/*
 * Run fn(arg, out) in a child whose file size limit (RLIMIT_FSIZE) is
 * limit octets and which ignores SIGXFSZ, so a write past the limit
 * fails with EFBIG, as under a quota; neither outlives the child.  fn
 * fills out[0..n), which comes back through a pipe (under valgrind an
 * exit status may be valgrind's own): what fn leaves unset, or all of
 * it when the limit cannot be set, is -1.  Whatever fn needs after the
 * fork must be reachable from static storage, for valgrind.
 */
void
test_fsize_limited(size_t limit, void (*fn)(void *, int *), void *arg,
    int *out, size_t n)
{
	struct rlimit rl;
	size_t i, size = n * sizeof(*out);
	int res[2];
	pid_t pid;

	ck_assert_int_eq(pipe(res), 0);
	if ((pid = fork()) == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		close(res[0]);
		signal(SIGXFSZ, SIG_IGN);
		for (i = 0; i < n; i++)
			out[i] = -1;
		if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
			rl.rlim_cur = (rlim_t)limit;
			if (setrlimit(RLIMIT_FSIZE, &rl) == 0)
				fn(arg, out);
		}
		_exit(write(res[1], out, size) == (ssize_t)size ? 0 : 1);
	}
	close(res[1]);
	ck_assert_int_eq(read(res[0], out, size), (ssize_t)size);
	close(res[0]);
	test_reap(pid);
}

/* Show p[0..n) readably: \r \n \t \\ and \xHH for other controls. */
static size_t
escape(char *dst, size_t size, const char *p, size_t n)
{
	size_t o = 0, i;
	unsigned char c;

	for (i = 0; i < n && o + 5 < size; i++) {
		c = (unsigned char)p[i];
		if (c == '\r')
			o += (size_t)snprintf(dst + o, size - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(dst + o, size - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(dst + o, size - o, "\\t");
		else if (c == '\\')
			o += (size_t)snprintf(dst + o, size - o, "\\\\");
		else if (c >= 32 && c < 127)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, size - o, "\\x%02X", c);
	}
	dst[o] = '\0';
	return i;
}

/*
 * NULL when got and want are the same bytes, else a message (in a
 * static buffer) showing where they part.
 */
const char *
test_bytes_diff(const char *got, size_t glen, const char *want, size_t wlen)
{
	static char msg[4096];
	char g[1500], w[1500];
	size_t i, from;

	for (i = 0; i < glen && i < wlen && got[i] == want[i]; i++)
		;
	if (i == glen && i == wlen)
		return NULL;
	from = i > 60 ? i - 60 : 0;
	escape(g, sizeof(g), got + from, glen - from);
	escape(w, sizeof(w), want + from, wlen - from);
	snprintf(msg, sizeof(msg), "bytes differ at offset %zu (got %zu "
	    "octets, want %zu); from offset %zu:\n got:  \"%s\"\n want: \"%s\"",
	    i, glen, wlen, from, g, w);
	return msg;
}

/*
 * A test that cannot run on this machine is not registered at all: the
 * suite calls this instead, which says why and counts it as skipped
 * (never as passed).  Only when CK_RUN_SUITE and CK_RUN_CASE would have
 * run it.
 */
void
test_skip(const char *suite, const char *tcase, const char *test,
    const char *why)
{
	const char *s = getenv("CK_RUN_SUITE"), *c = getenv("CK_RUN_CASE");

	if ((s != NULL && *s != '\0' && strcmp(s, suite) != 0) ||
	    (c != NULL && *c != '\0' && strcmp(c, tcase) != 0))
		return;
	printf("SKIP %s: %s\n", test, why);
	fflush(stdout);
	skipped++;
}

int
main(void)
{
	SRunner *sr;
	int run, failed;

	/* a session writing to a closed peer must see EPIPE, as in smtpd */
	signal(SIGPIPE, SIG_IGN);
	test_env();
	sr = srunner_create(linebuf_suite());
	srunner_add_suite(sr, addr_suite());
	srunner_add_suite(sr, unstuff_suite());
	srunner_add_suite(sr, session_suite());
	srunner_add_suite(sr, mbox_suite());
	srunner_add_suite(sr, maildir_suite());
	srunner_add_suite(sr, pipe_suite());
	srunner_add_suite(sr, help_suite());
	srunner_add_suite(sr, reply_suite());
	srunner_add_suite(sr, proxy_suite());
	/* CK_RUN_SUITE, CK_RUN_CASE, CK_VERBOSITY, CK_FORK apply here */
	srunner_run_all(sr, CK_ENV);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* the closing line every suite of `make check` prints */
	printf("%d passed, %d failed, %d skipped\n", run - failed, failed,
	    skipped);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
