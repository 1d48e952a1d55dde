/* ISC license. */
/*
 * Shared by the Check unit tests: one suite constructor per module and
 * the helpers they have in common (temp dirs, files, byte comparisons,
 * a writer child that feeds a descriptor, a child under a file size
 * limit, skipping a test, expected replies built from reply.h's
 * reply_table).  Defined in check_main.c.
 */
#ifndef CHECK_SMTPD_H
#define CHECK_SMTPD_H

#include <stddef.h>
#include <sys/types.h>

#include <check.h>

#include "reply.h"

/* The clock every test runs under: Tue, 14 Nov 2023 22:13:20 UTC. */
#define TEST_FAKE_TIME		"1700000000"
/* Seconds before a test counts as hung (scaled by CK_TIMEOUT_MULTIPLIER). */
#define TEST_TIMEOUT		30

Suite	*linebuf_suite(void);
Suite	*addr_suite(void);
Suite	*unstuff_suite(void);
Suite	*session_suite(void);
Suite	*mbox_suite(void);
Suite	*maildir_suite(void);
Suite	*pipe_suite(void);
Suite	*help_suite(void);
Suite	*reply_suite(void);
Suite	*proxy_suite(void);

void	 test_env(void);
char	*test_tmpdir(void);
void	 test_rmtree(const char *);
char	*test_path(const char *, const char *);
char	*test_read_file(const char *, size_t *);
void	 test_write_file(const char *, const char *, size_t);
pid_t	 test_writer(int, int, const char *, size_t, size_t, long);
int	 test_reap(pid_t);
void	 test_fsize_limited(size_t, void (*)(void *, int *), void *, int *,
	    size_t);
const char *test_bytes_diff(const char *, size_t, const char *, size_t);
void	 test_skip(const char *, const char *, const char *, const char *);
void	 test_add(char *, size_t, const char *);
/* The server name the session tests give smtpd (-n). */
#define TEST_HOST	"mx.test"
void	 test_add_reply(char *, size_t, enum reply_id, const char *);

/*
 * Compare two byte strings; on a difference, fail showing both from a
 * little before the first differing octet, with controls escaped.
 */
#define ASSERT_BYTES(got, glen, want, wlen) do {			\
	const char *ck_diff_ = test_bytes_diff((got), (glen), (want),	\
	    (wlen));							\
	if (ck_diff_ != NULL)						\
		ck_abort_msg("%s", ck_diff_);				\
} while (0)

/* The same for a NUL-terminated expected string. */
#define ASSERT_STR_BYTES(got, glen, want)				\
	ASSERT_BYTES((got), (glen), (want), strlen(want))

#endif
