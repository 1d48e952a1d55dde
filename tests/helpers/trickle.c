/* ISC license. */
/*
 * trickle [FILE]: copy FILE (or stdin) to stdout one octet per write(2),
 * so the program reading it sees every possible split of its input.
 * The transcript runner uses it to check that replies and mailboxes do
 * not depend on how the client's bytes were chunked (RFC 2920).
 * Exits 0 when all was written, 1 on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static int	put_octets(const char *, size_t);

/* Write p[0..n) as n writes of one octet each. */
static int
put_octets(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(1, p, 1);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p++;
		n--;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd = 0;

	/* the reader may quit early (QUIT, 421): that is no error here */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 2) {
		fputs("usage: trickle [file]\n", stderr);
		return 1;
	}
	if (argc == 2 && (fd = open(argv[1], O_RDONLY)) == -1) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("trickle: read");
			return 1;
		}
		if (n == 0)
			break;
		if (put_octets(buf, (size_t)n) == -1) {
			if (errno == EPIPE)
				return 0;
			perror("trickle: write");
			return 1;
		}
	}
	return 0;
}
