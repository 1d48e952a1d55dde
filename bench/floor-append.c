/* ISC license. */
/*
 * bench-floor-append [-l] SRC DST: append the messages of the mbox SRC
 * to DST one at a time, each with one write(2) and one fsync(2): what
 * storing a message durably costs at the least, for the same bytes
 * smtpd wrote.  With -l, also one syslog(3) line per message, of about
 * the length of smtpd's, to whatever listens at /dev/log, opened as
 * smtpd opens it: the least a server that logs each message pays.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* Where the message that starts at p ends: at the next From_ line. */
static const char *
message_end(const char *p, const char *end)
{
	const char *q = p + 1;

	while (q < end) {
		q = memchr(q, '\n', (size_t)(end - q));
		if (q == NULL)
			return end;
		q++;
		if (end - q >= 5 && memcmp(q, "From ", 5) == 0)
			return q;
	}
	return end;
}

int
main(int argc, char **argv)
{
	struct stat st;
	const char *p, *end, *next;
	char *text;
	unsigned long n = 0;
	int in, out, logs = 0;

	if (argc == 4 && strcmp(argv[1], "-l") == 0) {
		logs = 1;
		argv++, argc--;
		openlog("bench-floor", 0, LOG_MAIL);
	}
	if (argc != 3) {
		fputs("usage: bench-floor-append [-l] SRC DST\n", stderr);
		return 2;
	}
	if ((in = open(argv[1], O_RDONLY)) == -1 || fstat(in, &st) == -1 ||
	    (text = malloc((size_t)st.st_size + 1)) == NULL ||
	    read(in, text, (size_t)st.st_size) != st.st_size) {
		perror(argv[1]);
		return 1;
	}
	out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (out == -1) {
		perror(argv[2]);
		return 1;
	}
	end = text + st.st_size;
	for (p = text; p < end; p = next) {
		next = message_end(p, end);
		if (write(out, p, (size_t)(next - p)) != next - p ||
		    fsync(out) == -1) {
			perror(argv[2]);
			return 1;
		}
		if (logs)
			syslog(LOG_INFO, "id=floor%06lu from=<bench@example.org> "
			    "to=<user@example.org> nrcpt=1 size=%ld: delivered",
			    n++, (long)(next - p));
	}
	return close(out) == 0 ? 0 : 1;
}
