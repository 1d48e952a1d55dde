/* ISC license. */
/*
 * Diagnostics go to syslog (LOG_MAIL) only: under inetd stderr is the
 * client's socket.  Client text is escaped before it is logged.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

void	log_open(void);
void	log_info(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_escape(char *, size_t, const char *, size_t);

#endif
