/* ISC license. */
/*
 * bench-floor-smtpd [-l] [MBOX]: the least an SMTP server can do, as
 * the benchmark's floor.  It greets, answers 250 to every command, 354
 * to DATA and 250 after the final dot, 221 to QUIT.  Replies are
 * collected and written before each read, as smtpd does.
 *
 * Without MBOX it stores nothing.  With MBOX (a "%u" in it stands for
 * the local part of the last RCPT TO), each message is appended to
 * that file with one write(2) and one fsync(2) before its 250: a From_
 * line and the lines as they came, less their CR, nothing unstuffed or
 * quoted.  The file is opened once and kept while the path stays the
 * same.  With -l, one syslog(3) line per message as well, of about the
 * length of smtpd's, opened as smtpd opens it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define LOCAL_MAX	64

static char	out[4096];
static size_t	outlen;
static char	msg[1 << 20];	/* the message being received */
static size_t	msglen;
static const char *mbox;	/* the template, NULL: store nothing */
static int	logs;
static char	local[LOCAL_MAX + 1] = "user";
static char	open_path[4096];
static int	fd = -1;
static unsigned long stored;

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

/* The local part of RCPT TO:<local@...>, for %u. */
static void
take_local(const char *line, size_t n)
{
	const char *lt = memchr(line, '<', n), *end;
	size_t k;

	if (lt == NULL)
		return;
	for (end = lt + 1; end < line + n && *end != '@' && *end != '>';
	    end++)
		;
	k = (size_t)(end - lt - 1);
	if (k > LOCAL_MAX)
		k = LOCAL_MAX;
	memcpy(local, lt + 1, k);
	local[k] = '\0';
}

/* Open the message's mailbox, unless it is the one already open. */
static int
open_mbox(void)
{
	char path[sizeof(open_path)];
	const char *u = strstr(mbox, "%u");

	if (u == NULL)
		snprintf(path, sizeof(path), "%s", mbox);
	else
		snprintf(path, sizeof(path), "%.*s%s%s", (int)(u - mbox), mbox,
		    local, u + 2);
	if (fd != -1 && strcmp(path, open_path) == 0)
		return 0;
	if (fd != -1)
		close(fd);
	memcpy(open_path, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	return fd == -1 ? -1 : 0;
}

/* Store the message durably, log it; -1 when it could not be. */
static int
store(void)
{
	if (mbox != NULL) {
		if (open_mbox() == -1 ||
		    write(fd, msg, msglen) != (ssize_t)msglen || fsync(fd) == -1)
			return -1;
	}
	if (logs)
		syslog(LOG_INFO, "id=floor%06lu from=<bench@example.org> "
		    "to=<%s@example.org> nrcpt=1 size=%zu: delivered",
		    stored, local, msglen);
	stored++;
	return 0;
}

static void
keep(const char *p, size_t n)
{
	if (mbox == NULL)
		return;
	if (msglen + n > sizeof(msg))
		n = sizeof(msg) - msglen;	/* not in the benchmark */
	memcpy(msg + msglen, p, n);
	msglen += n;
}

/* One line of the message: kept without its CR. */
static void
keep_line(const char *line, size_t n)
{
	if (n >= 2 && line[n - 2] == '\r') {
		keep(line, n - 2);
		keep("\n", 1);
	} else
		keep(line, n);
}

/* Answer one line; returns 1 when the session is over. */
static int
answer(const char *line, size_t n, int *in_data)
{
	if (*in_data) {
		if (n == 3 && line[0] == '.') {
			*in_data = 0;
			keep("\n", 1);
			put(store() == 0 ? "250 2.0.0 ok\r\n" :
			    "451 4.3.0 not stored\r\n");
		} else
			keep_line(line, n);
		return 0;
	}
	if (n >= 4 && strncmp(line, "DATA", 4) == 0) {
		*in_data = 1;
		msglen = 0;
		keep("From bench@example.org Thu Jan  1 00:00:00 1970\n", 49);
		put("354 go ahead\r\n");
	} else if (n >= 4 && strncmp(line, "QUIT", 4) == 0) {
		put("221 2.0.0 bye\r\n");
		return 1;
	} else if (n >= 4 && strncmp(line, "EHLO", 4) == 0)
		put("250-floor\r\n250 PIPELINING\r\n");
	else {
		if (n >= 4 && strncmp(line, "RCPT", 4) == 0)
			take_local(line, n);
		put("250 2.0.0 ok\r\n");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	size_t start = 0, end = 0;
	char *lf;
	ssize_t r;
	int in_data = 0, done = 0;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		logs = 1;
		argv++, argc--;
		openlog("bench-floor", 0, LOG_MAIL);
	}
	if (argc > 1)
		mbox = argv[1];
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
	return fd == -1 || close(fd) == 0 ? 0 : 1;
}
