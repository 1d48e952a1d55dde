/* ISC license. */
/*
 * bench-gen: the benchmark's input and its check.
 *
 *   bench-gen session COUNT SIZE   an SMTP client's whole pipelined
 *                                  session on stdout: EHLO, COUNT
 *                                  messages of about SIZE octets, QUIT
 *   bench-gen bdat COUNT SIZE      the same messages, each sent as one
 *                                  BDAT chunk with LAST (RFC 3030): no
 *                                  dot-stuffing, the size counted first
 *   bench-gen check MBOX COUNT     exit 0 when MBOX holds messages 0 to
 *                                  COUNT-1, each once and byte for byte
 *                                  as generated (mboxrd quoting included)
 *   bench-gen checkfile FILE COUNT exit 0 when FILE (a Maildir message)
 *                                  is one of messages 0 to COUNT-1, byte
 *                                  for byte, unquoted, no blank line after
 *   bench-gen line SIZE            a session of one message whose text
 *                                  is a single line of SIZE octets
 *   bench-gen checkline MBOX SIZE  exit 0 when MBOX holds that message,
 *                                  read as a stream (the line may be far
 *                                  larger than memory allows)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static void	usage(void) __attribute__((noreturn));
static unsigned long number(const char *);
static int	session(unsigned long, unsigned long);
static int	session_bdat(unsigned long, unsigned long);
static int	check(const char *, unsigned long);
static int	check_message(FILE *, char **, size_t *, unsigned long,
		    unsigned char *, int);
static int	check_file(const char *, unsigned long);
static ssize_t	next_line(FILE *, char **, size_t *);
static int	long_line(unsigned long);
static int	check_line(const char *, unsigned long);

/* The long line: printable ASCII in a cycle, never "From " or ".". */
#define LINE_OCTET(i)	((char)('0' + (i) % 64))

static void
usage(void)
{
	fputs("usage: bench-gen session COUNT SIZE | bdat COUNT SIZE | "
	    "check MBOX COUNT | checkfile FILE COUNT | "
	    "line SIZE | checkline MBOX SIZE\n", stderr);
	exit(2);
}

static unsigned long
number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0')
		usage();
	return v;
}

static int
session(unsigned long count, unsigned long size)
{
	static char obuf[1 << 16];
	char line[MSG_LINE_MAX], wire[MSG_LINE_MAX + 4];
	struct msg m;
	unsigned long i;
	size_t n;

	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	fputs("EHLO bench.example\r\n", stdout);
	for (i = 0; i < count; i++) {
		fputs("MAIL FROM:<bench@example.org>\r\n"
		    "RCPT TO:<user@example.org>\r\nDATA\r\n", stdout);
		msg_begin(&m, i, size);
		while (msg_next(&m, line, &n)) {
			n = msg_smtp_line(line, n, wire);
			fwrite(wire, 1, n, stdout);
		}
		fputs(".\r\n", stdout);
	}
	fputs("QUIT\r\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * As session(), each message one BDAT chunk: its lines with CR LF and
 * no dot-stuffing.  The chunk's size is counted in a first pass over
 * the generator, so a chunk of any size is never held in memory.
 */
static int
session_bdat(unsigned long count, unsigned long size)
{
	static char obuf[1 << 16];
	char line[MSG_LINE_MAX];
	unsigned long long octets;
	struct msg m;
	unsigned long i;
	size_t n;

	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	fputs("EHLO bench.example\r\n", stdout);
	for (i = 0; i < count; i++) {
		fputs("MAIL FROM:<bench@example.org>\r\n"
		    "RCPT TO:<user@example.org>\r\n", stdout);
		octets = 0;
		msg_begin(&m, i, size);
		while (msg_next(&m, line, &n))
			octets += n + 2;
		printf("BDAT %llu LAST\r\n", octets);
		msg_begin(&m, i, size);
		while (msg_next(&m, line, &n)) {
			fwrite(line, 1, n, stdout);
			fputs("\r\n", stdout);
		}
	}
	fputs("QUIT\r\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* One line with its LF; -1 at the end of the file. */
static ssize_t
next_line(FILE *f, char **buf, size_t *cap)
{
	return getline(buf, cap, f);
}

/*
 * After a From_ line: the MTA's own header lines, then ours, in the
 * generated text, then the blank line that ends an mbox message.  Not
 * in an mbox (a Maildir file): the text unquoted, and its end.
 */
static int
check_message(FILE *f, char **buf, size_t *cap, unsigned long count,
    unsigned char *seen, int mbox)
{
	char line[MSG_LINE_MAX], want[MSG_LINE_MAX + 4];
	unsigned long index, size;
	struct msg m;
	ssize_t got;
	size_t n, w;

	do {
		if ((got = next_line(f, buf, cap)) == -1 || **buf == '\n') {
			fputs("bench-gen: a message without X-Bench\n", stderr);
			return -1;
		}
	} while (sscanf(*buf, "X-Bench: %lu %lu", &index, &size) != 2);
	if (index >= count || seen[index]) {
		fprintf(stderr, "bench-gen: message %lu unexpected\n", index);
		return -1;
	}
	seen[index] = 1;
	msg_begin(&m, index, size);
	(void)msg_next(&m, line, &n);	/* the X-Bench line just read */
	while (msg_next(&m, line, &n)) {
		if (mbox)
			w = msg_mbox_line(line, n, want);
		else {
			memcpy(want, line, n);
			want[n] = '\n';
			w = n + 1;
		}
		if ((got = next_line(f, buf, cap)) == -1 ||
		    (size_t)got != w || memcmp(*buf, want, w) != 0) {
			fprintf(stderr, "bench-gen: message %lu differs at "
			    "line %lu\n", index, m.line);
			return -1;
		}
	}
	if (!mbox) {
		if (next_line(f, buf, cap) == -1)
			return 0;
		fprintf(stderr, "bench-gen: message %lu: more after it\n",
		    index);
		return -1;
	}
	if (next_line(f, buf, cap) != 1 || **buf != '\n') {
		fprintf(stderr, "bench-gen: message %lu: no blank line after "
		    "it\n", index);
		return -1;
	}
	return 0;
}

static int
check(const char *path, unsigned long count)
{
	static char ibuf[1 << 16];
	unsigned char *seen;
	char *buf = NULL;
	size_t cap = 0;
	unsigned long found = 0;
	FILE *f;
	int ok = 0;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	setvbuf(f, ibuf, _IOFBF, sizeof(ibuf));
	if ((seen = calloc(count + 1, 1)) == NULL) {
		fclose(f);
		return 1;
	}
	while (next_line(f, &buf, &cap) != -1) {
		if (strncmp(buf, "From ", 5) != 0) {
			fputs("bench-gen: a message without a From_ line\n",
			    stderr);
			goto out;
		}
		if (check_message(f, &buf, &cap, count, seen, 1) == -1)
			goto out;
		found++;
	}
	if (found != count) {
		fprintf(stderr, "bench-gen: %lu of %lu messages\n", found,
		    count);
		goto out;
	}
	ok = 1;
out:
	free(buf);
	free(seen);
	fclose(f);
	return ok ? 0 : 1;
}

static int
check_file(const char *path, unsigned long count)
{
	static char ibuf[1 << 16];
	unsigned char *seen;
	char *buf = NULL;
	size_t cap = 0;
	FILE *f;
	int r;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	setvbuf(f, ibuf, _IOFBF, sizeof(ibuf));
	if ((seen = calloc(count + 1, 1)) == NULL) {
		fclose(f);
		return 1;
	}
	r = check_message(f, &buf, &cap, count, seen, 0);
	free(buf);
	free(seen);
	fclose(f);
	return r == 0 ? 0 : 1;
}

static int
long_line(unsigned long size)
{
	static char obuf[1 << 16];
	unsigned long i;

	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	printf("EHLO bench.example\r\nMAIL FROM:<bench@example.org>\r\n"
	    "RCPT TO:<user@example.org>\r\nDATA\r\nX-Bench-Line: %lu\r\n"
	    "\r\n", size);
	for (i = 0; i < size; i++)
		putchar(LINE_OCTET(i));
	fputs("\r\n.\r\nQUIT\r\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Skip to the blank line after X-Bench-Line, then compare octets. */
static int
check_line(const char *path, unsigned long size)
{
	static char ibuf[1 << 16];
	char header[64];
	unsigned long i;
	int c, seen = 0;
	FILE *f;
	size_t hl;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return 1;
	}
	setvbuf(f, ibuf, _IOFBF, sizeof(ibuf));
	hl = (size_t)snprintf(header, sizeof(header), "\nX-Bench-Line: %lu\n",
	    size);
	/* the header line, found as a stream */
	for (i = 0; seen < (int)hl && (c = getc(f)) != EOF; i++)
		seen = c == header[seen] ? seen + 1 : c == header[0];
	if (seen < (int)hl || getc(f) != '\n') {
		fputs("bench-gen: no X-Bench-Line header\n", stderr);
		goto fail;
	}
	for (i = 0; i < size; i++)
		if ((c = getc(f)) != LINE_OCTET(i)) {
			fprintf(stderr, "bench-gen: the line differs at octet "
			    "%lu\n", i);
			goto fail;
		}
	if (getc(f) != '\n' || getc(f) != '\n' || getc(f) != EOF) {
		fputs("bench-gen: wrong end of the message\n", stderr);
		goto fail;
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "session") == 0)
		return session(number(argv[2]), number(argv[3]));
	if (argc == 4 && strcmp(argv[1], "bdat") == 0)
		return session_bdat(number(argv[2]), number(argv[3]));
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return check(argv[2], number(argv[3]));
	if (argc == 4 && strcmp(argv[1], "checkfile") == 0)
		return check_file(argv[2], number(argv[3]));
	if (argc == 3 && strcmp(argv[1], "line") == 0)
		return long_line(number(argv[2]));
	if (argc == 4 && strcmp(argv[1], "checkline") == 0)
		return check_line(argv[2], number(argv[3]));
	usage();
}
