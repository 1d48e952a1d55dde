/* ISC license. */
/*
 * Diagnostics go to syslog (LOG_MAIL), or with -e to stderr: under inetd
 * stderr is the client's socket.  Every line is escaped to printable
 * ASCII, and a client's text goes through log_field() first.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

void	log_open(int);
void	log_info_text(const char *);
void	log_info(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_field(char *, size_t, const char *);
void	log_last_clear(void);
void	log_last(char *, size_t);

#endif
