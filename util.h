/* ISC license. */
/* Small checked helpers shared by every module. */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <time.h>

#define EX_USAGE	64	/* <sysexits.h> is not POSIX */
#define EX_IOERR	74
#define EX_TEMPFAIL	75
#define EX_CONFIG	78

time_t	util_now(void);
void	util_make_id(char *, size_t);
int	util_concat(char *, size_t, ...);
int	util_socket_timeout(int, int, int);
int	util_strlcpy(char *, const char *, size_t);
/* A formatted date, kept for the next call with the same second. */
struct util_date {
	char	 text[64];
	time_t	 t;
	int	 known;
};

enum util_date_form { UTIL_DATE_RFC5322, UTIL_DATE_ASCTIME };

const char *util_date_cached(struct util_date *, time_t,
	    enum util_date_form);
int	util_rfc5322_date(char *, size_t, time_t);
char	util_ascii_lower(char);
int	util_write_all(int, const char *, size_t);
long long util_now_ms(void);
int	util_sync_dir(int);
int	util_open_dir(const char *, int);
int	util_tmpfile(void);
int	util_wait_readable(int, long long);
int	util_open_dir_at(int, const char *, int);
int	util_is_word(const char *, size_t);
void	util_printable(char *, size_t, const char *);
int	util_decimal(const char **, unsigned long long *);
void	util_header_word(char *, size_t, const char *, const char *);

#endif
