/* ISC license. */
/* syslog(LOG_MAIL) wrappers, in the shape of OpenSMTPD's log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static void	vlog(int, int, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));

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
 */
void
log_open(void)
{
	static char tag[32];

	snprintf(tag, sizeof(tag), "smtpd[%ld]", (long)getpid());
	openlog(tag, 0, LOG_MAIL);
}

static void
vlog(int prio, int err, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err != 0)
		syslog(prio, "%s: %s", msg, strerror(err));
	else
		syslog(prio, "%s", msg);
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

/* Copy src[0..n) into dst with anything but printable ASCII as \xHH. */
void
log_escape(char *dst, size_t size, const char *src, size_t n)
{
	size_t o = 0, i;
	unsigned char c;

	if (size == 0)
		return;
	for (i = 0; i < n && o + 5 < size; i++) {
		c = (unsigned char)src[i];
		if (c >= 32 && c < 127 && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, size - o, "\\x%02X", c);
	}
	dst[o] = '\0';
}
