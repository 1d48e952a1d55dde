/* ISC license. */
/*
 * Helpers shared by the libFuzzer targets in fuzz/: a private scratch
 * directory, input bytes turned into a file descriptor, and checks on
 * the bytes smtpd wrote back.  A failed check calls abort(), which
 * libFuzzer reports as a crash with the input that caused it.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points (no header of its own). */
int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

const char *fuzz_scratch(void);
char	*fuzz_path(const char *);
int	fuzz_fd_from_bytes(const char *, const void *, size_t);
char	*fuzz_read_file(const char *, size_t *);
void	fuzz_empty_dir(const char *);
void	fuzz_check_replies(const char *, size_t);
void	fuzz_fail(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
