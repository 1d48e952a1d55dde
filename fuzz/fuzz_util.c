/* ISC license. */
/*
 * Helpers for the fuzz targets: scratch files under one private
 * directory (TMPDIR, or /tmp), removed and recreated as each input
 * needs them, and the reply-format oracle every session target uses.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"

static char	scratch[4096];

/* A directory of our own, made on first use and kept for the run. */
const char *
fuzz_scratch(void)
{
	const char *tmp = getenv("TMPDIR");

	if (scratch[0] != '\0')
		return scratch;
	snprintf(scratch, sizeof(scratch), "%s/smtpd-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(scratch) == NULL)
		fuzz_fail("mkdtemp %s: %s", scratch, strerror(errno));
	return scratch;
}

/* scratch/name, malloc'ed once per target and kept. */
char *
fuzz_path(const char *name)
{
	size_t n = strlen(fuzz_scratch()) + strlen(name) + 2;
	char *p = malloc(n);

	if (p == NULL)
		fuzz_fail("out of memory");
	snprintf(p, n, "%s/%s", scratch, name);
	return p;
}

/*
 * The bytes as a readable fd positioned at 0.  A regular file, not a
 * pipe: any size fits without a writer thread, and poll() says
 * "readable" at once, so a session never waits on its timeout.
 */
int
fuzz_fd_from_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	const char *c = p;
	ssize_t w;

	if (fd == -1)
		fuzz_fail("open %s: %s", path, strerror(errno));
	while (n > 0) {
		if ((w = write(fd, c, n)) == -1)
			fuzz_fail("write %s: %s", path, strerror(errno));
		c += w;
		n -= (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) == -1)
		fuzz_fail("lseek: %s", strerror(errno));
	return fd;
}

/* The whole file, NUL-terminated; NULL if it does not exist. */
char *
fuzz_read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd == -1) {
		*len = 0;
		return NULL;
	}
	if (fstat(fd, &st) == -1 || (buf = malloc((size_t)st.st_size + 1))
	    == NULL)
		fuzz_fail("fstat or malloc for %s", path);
	while (got < (size_t)st.st_size &&
	    (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Remove everything inside dir, keeping dir itself. */
void
fuzz_empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char path[4096];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			fuzz_empty_dir(path);
			rmdir(path);
		} else
			unlink(path);
	}
	closedir(d);
}

/*
 * Every byte smtpd writes must be a well-formed reply line (RFC 5321
 * 4.2): three digits, "-" or " ", text, CR LF, at most 512 octets
 * (4.5.3.1.5), no CR or LF or NUL inside, and the output ends at the
 * end of a line.
 */
void
fuzz_check_replies(const char *out, size_t n)
{
	const char *p = out, *end = out + n, *lf;
	size_t len, i;

	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		if (lf == NULL)
			fuzz_fail("reply without a line end at offset %zu",
			    (size_t)(p - out));
		len = (size_t)(lf - p) + 1;
		if (len > 512 || len < 6 || lf[-1] != '\r')
			fuzz_fail("bad reply line length %zu or end", len);
		if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
		    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '-'))
			fuzz_fail("reply line without code: %.*s", (int)len, p);
		for (i = 4; i + 2 < len; i++)
			if (p[i] == '\r' || p[i] == '\0')
				fuzz_fail("control octet in a reply");
		p = lf + 1;
	}
}

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz check failed: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
