/* ISC license. */
/* syslog(LOG_MAIL) wrappers, in the shape of OpenSMTPD's log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void	vlog(int, int, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
static void	emit(int, int, const char *);

static char	tag[32];	/* "smtpd[PID]" */
static char	last[200];	/* the latest warning, for a learner */
static int	to_stderr;	/* -e */

static void	escape(char *, size_t, const char *, const char *);

/*
 * No LOG_NDELAY: the socket to syslogd is opened by the first message,
 * so a session that logs nothing costs no socket(2) and connect(2).
 *
 * The process id is written into the tag once, in the very bytes
 * LOG_PID gives ("smtpd[1234]: "), because glibc's LOG_PID calls
 * getpid(2) again for every line: a syscall per message in a pipelined
 * session (docs/performance.md).  No forked child of smtpd logs (the
 * pipe child only execs or exits), so the id is always the logger's.
 * openlog() keeps the pointer, hence the static buffer.
 *
 * With use_stderr (-e) each line goes to stderr instead, in the same
 * words, for a launcher that keeps it (tcpserver with multilog,
 * systemd's StandardError=journal).  Never by default: under inetd
 * stderr is the client's socket.
 */
void
log_open(int use_stderr)
{
	snprintf(tag, sizeof(tag), "smtpd[%ld]", (long)getpid());
	to_stderr = use_stderr;
	if (!to_stderr)
		openlog(tag, 0, LOG_MAIL);
}

/*
 * Copy src into dst with every octet outside printable ASCII, and every
 * octet in also, written as \xHH.  dst is always terminated; what does
 * not fit is cut.
 */
static void
escape(char *dst, size_t size, const char *src, const char *also)
{
	size_t o = 0;
	unsigned char c;

	if (size == 0)
		return;
	for (; *src != '\0' && o + 5 < size; src++) {
		c = (unsigned char)*src;
		if (c >= 32 && c < 127 && (*also == '\0' ||
		    strchr(also, c) == NULL))
			dst[o++] = (char)c;
		else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = "0123456789ABCDEF"[c >> 4];
			dst[o++] = "0123456789ABCDEF"[c & 15];
		}
	}
	dst[o] = '\0';
}

/*
 * One event, one line: whatever reaches here, no octet of it can start
 * a new line or hide in a terminal, even text from a path or a program.
 */
static void
vlog(int prio, int err, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(prio, err, msg);
}

/* msg, already in words, as one line (vlog). */
static void
emit(int prio, int err, const char *msg)
{
	char line[4 * 1024 + 160];
	int n;

	escape(line, sizeof(line) - 160, msg, "");
	if (err != 0) {
		n = (int)strlen(line);
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(err));
	}
	if (prio == LOG_WARNING)
		util_strlcpy(last, line, sizeof(last));	/* cut is fine */
	if (!to_stderr) {
		syslog(prio, "%s", line);
		return;
	}
	{
		char out[sizeof(line) + sizeof(tag) + 4];

		n = snprintf(out, sizeof(out), "%s: %s\n", tag, line);
		if (n > 0)
			(void)util_write_all(STDERR_FILENO, out,
			    (size_t)n < sizeof(out) ? (size_t)n :
			    sizeof(out) - 1);
	}
}

/*
 * A line made by the caller, as log_info("%s", text) would log it (cut
 * at 1023 octets) without going through vsnprintf(3): the line of
 * every message (txn.c, docs/performance.md).
 */
void
log_info_text(const char *text)
{
	char msg[1024];

	util_strlcpy(msg, text, sizeof(msg));
	emit(LOG_INFO, 0, msg);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Like log_warnx, followed by the text of errno. */
void
log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

/*
 * A client's text as one field of a log line: besides what vlog()
 * escapes, the blank that separates fields, the brackets that delimit
 * an address and the backslash that escapes, so that a quoted local
 * part such as "x> to=<ceo@ex.org> ...: delivered" cannot pass for
 * fields of its own.
 */
void
log_field(char *dst, size_t size, const char *src)
{
	escape(dst, size, src, " <>\\");
}

/*
 * The latest warning logged since log_last_clear(), or "": why a
 * delivery failed, for the hint a learner at a terminal gets (a
 * container often has no syslog to read it in).
 */
void
log_last_clear(void)
{
	last[0] = '\0';
}

void
log_last(char *dst, size_t size)
{
	(void)util_strlcpy(dst, last, size);
}
