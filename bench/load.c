/* ISC license. */
/*
 * bench-load: drives the programs being measured and times them.
 *
 *   bench-load run IN OUT PROG [ARG...]
 *       PROG with stdin from IN ("-": this program's own stdin) and
 *       stdout to OUT; prints its wall time
 *       in seconds and its peak RSS in KiB (getrusage), fails if PROG does
 *   bench-load seq N PROG [ARG...] [-- PROG2 [ARG...]]
 *       N sessions one after another, each a new PROG on a pair of
 *       pipes: greeting, EHLO, QUIT; prints the wall time of all N and
 *       fails unless each answered 220 ... 250 ... 221.  With PROG2,
 *       its sessions alternate with PROG's, so that both meet the same
 *       load from the rest of the machine, and both times are printed
 *   bench-load tcp PORT CLIENTS MESSAGES SIZE [each]
 *       CLIENTS connections at once to 127.0.0.1:PORT, each sending
 *       MESSAGES messages of about SIZE octets (numbered so that
 *       bench-gen check finds all of them), waiting for each reply;
 *       prints the wall time, fails on any unexpected reply.  All go
 *       to <user@example.org>; with "each", client N's go to
 *       <cN@example.org>, so that a %u mailbox is one per client
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "util.h"

#define IO_TIMEOUT_S	60

struct conn {
	int	 fd;
	size_t	 start, end;
	char	 in[4096];
	size_t	 outlen;
	char	 out[1 << 16];
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long
number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "bench-load: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

/* PROG with stdin and stdout on the given descriptors. */
static pid_t
spawn(int in, int out, char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int
run(const char *inpath, const char *outpath, char **argv)
{
	struct rusage ru;
	double t0, t1;
	int in, out, status;
	pid_t pid;

	if (strcmp(inpath, "-") == 0)
		in = 0;
	else if ((in = open(inpath, O_RDONLY)) == -1) {
		perror(inpath);
		return 1;
	}
	if ((out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror("bench-load run");
		return 1;
	}
	t0 = now();
	if ((pid = spawn(in, out, argv)) == -1 ||
	    waitpid(pid, &status, 0) == -1)
		return 1;
	t1 = now();
	/* the only child this process had, so its own peak */
	getrusage(RUSAGE_CHILDREN, &ru);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-load: %s failed\n", argv[0]);
		return 1;
	}
	printf("%.6f %ld\n", t1 - t0, ru.ru_maxrss);
	return 0;
}

/* One session through pipes; its replies must be 220, 250, 221. */
static int
one_session(char **argv)
{
	static const char input[] = "EHLO bench.example\r\nQUIT\r\n";
	char buf[4096];
	size_t got = 0;
	ssize_t r;
	int to[2], from[2], status;
	pid_t pid;

	if (pipe(to) == -1 || pipe(from) == -1)
		return -1;
	pid = spawn(to[0], from[1], argv);
	close(to[0]);
	close(from[1]);
	if (pid == -1 || util_write_all(to[1], input, sizeof(input) - 1) == -1)
		return -1;
	close(to[1]);
	while (got < sizeof(buf) - 1 &&
	    (r = read(from[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	close(from[0]);
	buf[got] = '\0';
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	if (strncmp(buf, "220 ", 4) != 0 || strstr(buf, "\r\n250 ") == NULL ||
	    got < 6 || strstr(buf, "\r\n221 ") == NULL ||
	    strcmp(buf + got - 2, "\r\n") != 0)
		return -1;
	return 0;
}

static int
seq(unsigned long n, char **argv)
{
	char **other = NULL;
	double t0, spent[2] = { 0, 0 };
	unsigned long i;
	int k;

	for (k = 0; argv[k] != NULL; k++)
		if (strcmp(argv[k], "--") == 0) {
			argv[k] = NULL;
			other = argv + k + 1;
			break;
		}
	for (i = 0; i < n; i++)
		for (k = 0; k < (other != NULL ? 2 : 1); k++) {
			t0 = now();
			if (one_session(k == 0 ? argv : other) == -1) {
				fprintf(stderr, "bench-load: session %lu failed\n",
				    i);
				return 1;
			}
			spent[k] += now() - t0;
		}
	if (other != NULL)
		printf("%.6f %.6f\n", spent[0], spent[1]);
	else
		printf("%.6f\n", spent[0]);
	return 0;
}

static int
conn_flush(struct conn *c)
{
	int r = util_write_all(c->fd, c->out, c->outlen);

	c->outlen = 0;
	return r;
}

static void
conn_put(struct conn *c, const char *p, size_t n)
{
	if (c->outlen + n > sizeof(c->out))
		(void)conn_flush(c);
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

/* Read one whole reply (all its lines); returns its code, or -1. */
static int
conn_reply(struct conn *c)
{
	char *lf, *line;
	ssize_t r;
	int last;

	for (;;) {
		lf = memchr(c->in + c->start, '\n', c->end - c->start);
		if (lf == NULL) {
			memmove(c->in, c->in + c->start, c->end - c->start);
			c->end -= c->start;
			c->start = 0;
			if (c->end == sizeof(c->in))
				return -1;
			r = read(c->fd, c->in + c->end, sizeof(c->in) - c->end);
			if (r <= 0)
				return -1;
			c->end += (size_t)r;
			continue;
		}
		line = c->in + c->start;
		c->start = (size_t)(lf - c->in) + 1;
		if (lf - line < 4)
			return -1;
		last = line[3] == ' ';
		if (last)
			return atoi(line);
	}
}

/* One client: its messages are first, first + 1, ... */
static int
client(unsigned short port, unsigned long first, unsigned long count,
    unsigned long size, long each)
{
	static struct conn c;
	char envelope[128];
	struct sockaddr_in sin;
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	char line[MSG_LINE_MAX], wire[MSG_LINE_MAX + 4];
	struct msg m;
	unsigned long i;
	size_t n;

	if (each >= 0)
		snprintf(envelope, sizeof(envelope), "MAIL FROM:<bench@example.org>"
		    "\r\nRCPT TO:<c%ld@example.org>\r\nDATA\r\n", each);
	else
		snprintf(envelope, sizeof(envelope), "MAIL FROM:<bench@example.org>"
		    "\r\nRCPT TO:<user@example.org>\r\nDATA\r\n");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c.fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(c.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return 1;
	if (conn_reply(&c) != 220)
		return 1;
	conn_put(&c, "EHLO bench.example\r\n", 20);
	if (conn_flush(&c) == -1 || conn_reply(&c) != 250)
		return 1;
	for (i = first; i < first + count; i++) {
		/* PIPELINING (RFC 2920): the envelope in one go */
		conn_put(&c, envelope, strlen(envelope));
		if (conn_flush(&c) == -1 || conn_reply(&c) != 250 ||
		    conn_reply(&c) != 250 || conn_reply(&c) != 354)
			return 1;
		msg_begin(&m, i, size);
		while (msg_next(&m, line, &n)) {
			n = msg_smtp_line(line, n, wire);
			conn_put(&c, wire, n);
		}
		conn_put(&c, ".\r\n", 3);
		if (conn_flush(&c) == -1 || conn_reply(&c) != 250)
			return 1;
	}
	conn_put(&c, "QUIT\r\n", 6);
	if (conn_flush(&c) == -1 || conn_reply(&c) != 221)
		return 1;
	return 0;
}

static int
tcp(unsigned long port, unsigned long clients, unsigned long count,
    unsigned long size, int each)
{
	unsigned long i, failed = 0;
	double t0 = now();
	int status;
	pid_t pid;

	for (i = 0; i < clients; i++) {
		if ((pid = fork()) == -1)
			return 1;
		if (pid == 0)
			_exit(client((unsigned short)port, i * count, count,
			    size, each ? (long)i : -1));
	}
	while (wait(&status) != -1)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	if (failed > 0) {
		fprintf(stderr, "bench-load: %lu of %lu clients failed\n",
		    failed, clients);
		return 1;
	}
	printf("%.6f\n", now() - t0);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 5 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], argv + 4);
	if (argc >= 4 && strcmp(argv[1], "seq") == 0)
		return seq(number(argv[2]), argv + 3);
	if ((argc == 6 || (argc == 7 && strcmp(argv[6], "each") == 0)) &&
	    strcmp(argv[1], "tcp") == 0)
		return tcp(number(argv[2]), number(argv[3]), number(argv[4]),
		    number(argv[5]), argc == 7);
	fputs("usage: bench-load run IN OUT PROG [ARG...] | "
	    "seq N PROG [ARG...] [-- PROG2 [ARG...]] | "
	    "tcp PORT CLIENTS MESSAGES SIZE [each]\n", stderr);
	return 2;
}
