/* ISC license. */
/*
 * bench-floor-smtpd: the least an SMTP server can do, as the benchmark's
 * floor.  It greets, answers 250 to every command, 354 to DATA and 250
 * after the final dot, 221 to QUIT, and stores nothing.  Replies are
 * collected and written before each read, as smtpd does.
 */
#include <string.h>
#include <unistd.h>

static char	out[4096];
static size_t	outlen;

static void
put(const char *s)
{
	size_t n = strlen(s);

	if (outlen + n > sizeof(out)) {
		(void)!write(1, out, outlen);
		outlen = 0;
	}
	memcpy(out + outlen, s, n);
	outlen += n;
}

/* Answer one line; returns 1 when the session is over. */
static int
answer(const char *line, size_t n, int *in_data)
{
	if (*in_data) {
		if (n == 3 && line[0] == '.')
			*in_data = 0, put("250 2.0.0 ok\r\n");
		return 0;
	}
	if (n >= 4 && strncmp(line, "DATA", 4) == 0) {
		*in_data = 1;
		put("354 go ahead\r\n");
	} else if (n >= 4 && strncmp(line, "QUIT", 4) == 0) {
		put("221 2.0.0 bye\r\n");
		return 1;
	} else if (n >= 4 && strncmp(line, "EHLO", 4) == 0)
		put("250-floor\r\n250 PIPELINING\r\n");
	else
		put("250 2.0.0 ok\r\n");
	return 0;
}

int
main(void)
{
	static char buf[65536];
	size_t start = 0, end = 0;
	char *lf;
	ssize_t r;
	int in_data = 0, done = 0;

	put("220 floor ESMTP\r\n");
	while (!done) {
		lf = memchr(buf + start, '\n', end - start);
		if (lf != NULL) {
			done = answer(buf + start, (size_t)(lf - buf) + 1 -
			    start, &in_data);
			start = (size_t)(lf - buf) + 1;
			continue;
		}
		memmove(buf, buf + start, end - start);
		end -= start;
		start = 0;
		(void)!write(1, out, outlen);
		outlen = 0;
		if (end == sizeof(buf))
			end = 0;	/* a line this long is not ours */
		if ((r = read(0, buf + end, sizeof(buf) - end)) <= 0)
			break;
		end += (size_t)r;
	}
	(void)!write(1, out, outlen);
	return 0;
}
