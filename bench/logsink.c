/* ISC license. */
/*
 * bench-logsink PATH: stand in for syslogd while make bench runs.
 *
 * A mail server always has a syslog daemon.  Without one, glibc's
 * syslog(3) finds no socket at /dev/log and tries socket(2), connect(2)
 * and close(2) again for every line, which would charge smtpd for a
 * machine that is set up unlike any real one.  This binds an AF_UNIX
 * datagram socket at PATH (the socket syslogd owns), reads and drops
 * what arrives, and on SIGTERM or SIGINT removes PATH, prints how many
 * lines it dropped on stdout and exits 0.
 *
 * It refuses to start if PATH exists: an existing /dev/log is a real
 * daemon's and is never replaced.  Once bound it writes "ready" on
 * stdout, so the caller knows the socket is there before it measures.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Catch SIGTERM and SIGINT without SA_RESTART, so that a recv(2)
 * waiting for the next line returns EINTR and the loop sees the flag.
 * A signal that comes just before recv(2) is seen within the receive
 * timeout set in bind_sink().
 */
static int
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGTERM, &sa, NULL) == 0 &&
	    sigaction(SIGINT, &sa, NULL) == 0 ? 0 : -1;
}

/* A datagram socket bound at path, writable by everyone; -1 on error. */
static int
bind_sink(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tick = { 0, 200000 };
	size_t len;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	len = strlen(path);
	if (len >= sizeof(sun.sun_path)) {
		fprintf(stderr, "bench-logsink: %s: path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd == -1) {
		perror("bench-logsink: socket");
		return -1;
	}
	/* bind(2) fails with EADDRINUSE if path exists: never replaced. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "bench-logsink: bind %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	/* Look at the flag at least five times a second. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) == -1)
		perror("bench-logsink: SO_RCVTIMEO");
	/* smtpd runs as nobody in the benchmark; syslogd's socket is 0666. */
	if (chmod(path, 0666) == -1) {
		perror("bench-logsink: chmod");
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Read and drop datagrams until a signal comes; returns their count. */
static unsigned long
drain(int fd)
{
	char buf[2048];
	unsigned long lines = 0;

	while (!stop) {
		if (recv(fd, buf, sizeof(buf), 0) >= 0)
			lines++;
		else if (errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			break;
	}
	return lines;
}

int
main(int argc, char **argv)
{
	unsigned long lines;
	int fd;

	if (argc != 2) {
		fputs("usage: bench-logsink PATH\n", stderr);
		return 2;
	}
	if (catch_signals() == -1) {
		perror("bench-logsink: sigaction");
		return 1;
	}
	fd = bind_sink(argv[1]);
	if (fd == -1)
		return 1;
	printf("ready\n");
	fflush(stdout);
	lines = drain(fd);
	unlink(argv[1]);
	close(fd);
	printf("%lu lines\n", lines);
	return 0;
}
