/* ISC license. */
/*
 * Session transcripts (-x DIR).  Each session gets its own file,
 * DIR/YYYYMMDDTHHMMSSZ-PID.txt, created with O_EXCL so parallel sessions
 * under inetd never share one.  Client octets arrive as the session
 * consumes them (a tap in linebuf), so C: and S: lines interleave in
 * the order smtpd acted on them, even when the client pipelines.
 *
 * A C: line is one input line without its CR LF.  Octets that would
 * hide in a text file are escaped: \\ for a backslash, \r for a CR that
 * is not part of the line end, \n at the end for a line that ended in a
 * bare LF, \xHH for other controls.  A line or a message over
 * TRANSCRIPT_CAP octets is cut there and a "# truncated" line says so;
 * such a file cannot be replayed.  A session that goes on past
 * TRANSCRIPT_SESSION_MAX octets both ways (NOOP after NOOP, message
 * after message) stops being recorded, so a client cannot fill the
 * disk.  Failures go to syslog, never to the client, and end the
 * recording, not the session.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "transcript.h"
#include "util.h"

struct transcript {
	FILE	*f;
	int	 in_line;	/* a C: line is open */
	int	 pending_cr;	/* a CR whose meaning the next octet decides */
	int	 in_data;
	size_t	 kept;		/* octets recorded of this line or message */
	size_t	 total;		/* octets seen in the whole session */
	size_t	 dropped;	/* octets over the cap */
};

static int	open_file(const char *, char *, size_t);
static void	header(struct transcript *, const struct config *);
static void	put_escaped(FILE *, int);
static void	end_line(struct transcript *, int);
static void	note_dropped(struct transcript *);
static void	failed(struct transcript *);
static int	over_budget(struct transcript *, size_t);

/* A new file named after the clock and pid; a suffix when taken. */
static int
open_file(const char *dir, char *path, size_t size)
{
	char stamp[32];
	struct tm tm;
	time_t t = util_now();
	int fd, i, n;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return -1;
	for (i = 0; i < 100; i++) {
		if (i == 0)
			n = snprintf(path, size, "%s/%s-%ld.txt", dir, stamp,
			    (long)getpid());
		else
			n = snprintf(path, size, "%s/%s-%ld-%d.txt", dir,
			    stamp, (long)getpid(), i);
		if (n < 0 || (size_t)n >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/*
 * The "#" lines: format, when, who, and the options a replay needs to
 * get the same replies (tools/transcript-format.txt).
 */
static void
header(struct transcript *t, const struct config *cfg)
{
	char date[64];
	size_t i;

	fprintf(t->f, "# smtpd transcript\n");
	if (util_rfc5322_date(date, sizeof(date), util_now()) == 0)
		fprintf(t->f, "# date: %s\n", date);
	fprintf(t->f, "# clock: %lld\n", (long long)util_now());
	fprintf(t->f, "# peer: %s\n", cfg->peer != NULL ? cfg->peer : "stdin");
	fprintf(t->f, "# options: -n %s", cfg->hostname);
	if (cfg->lmtp)
		fprintf(t->f, " -l");
	fprintf(t->f, " -s %llu -r %lu", cfg->max_size, cfg->max_rcpts);
	for (i = 0; i < cfg->ndomains; i++)
		fprintf(t->f, " -d %s", cfg->domains[i]);
	fprintf(t->f, "\n");
	fprintf(t->f, "# method: %s\n", cfg->method == METHOD_MBOX ? "mbox" :
	    cfg->method == METHOD_MAILDIR ? "maildir" : "pipe");
}

struct transcript *
transcript_open(const struct config *cfg)
{
	struct transcript *t;
	char path[4096];
	int fd;

	if (cfg->transcript_dir == NULL)
		return NULL;
	if ((fd = open_file(cfg->transcript_dir, path, sizeof(path))) == -1) {
		log_warn("transcript in %s", cfg->transcript_dir);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->f = fdopen(fd, "w")) == NULL) {
		log_warn("transcript %s", path);
		free(t);
		close(fd);
		return NULL;
	}
	header(t, cfg);
	return t;
}

static void
put_escaped(FILE *f, int c)
{
	if (c == '\\')
		fputs("\\\\", f);
	else if (c == '\r')
		fputs("\\r", f);
	else if (c < 32 || c == 127)
		fprintf(f, "\\x%02X", c);
	else
		putc(c, f);
}

/* Close the open C: line; bare says it ended in a lone LF. */
static void
end_line(struct transcript *t, int bare)
{
	if (!t->in_line)
		fputs("C: ", t->f);
	if (bare)
		fputs("\\n", t->f);
	putc('\n', t->f);
	t->in_line = 0;
	if (!t->in_data) {
		note_dropped(t);
		t->kept = 0;
	}
}

static void
note_dropped(struct transcript *t)
{
	if (t->dropped > 0)
		fprintf(t->f, "# truncated: %zu octets not recorded\n",
		    t->dropped);
	t->dropped = 0;
}

/*
 * Octets the session consumed (the linebuf tap; arg is the
 * transcript).  Splits them into C: lines.
 */
void
transcript_client(void *arg, const char *p, size_t n)
{
	struct transcript *t = arg;
	size_t i;
	int c;

	if (t == NULL || t->f == NULL || over_budget(t, n))
		return;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\n') {
			if (t->kept >= TRANSCRIPT_CAP) {
				t->dropped++;
				if (t->in_line)
					end_line(t, 0);
				continue;
			}
			t->kept++;
			end_line(t, !t->pending_cr);
			t->pending_cr = 0;
			continue;
		}
		if (t->kept >= TRANSCRIPT_CAP) {
			t->dropped++;
			continue;
		}
		if (!t->in_line) {
			fputs("C: ", t->f);
			t->in_line = 1;
		}
		if (t->pending_cr)
			put_escaped(t->f, '\r');
		t->pending_cr = c == '\r';
		if (c != '\r')
			put_escaped(t->f, c);
		t->kept++;
	}
	if (ferror(t->f))
		failed(t);
}

/* One reply line as written, with its CR LF. */
void
transcript_server(struct transcript *t, const char *p, size_t n)
{
	size_t i;

	if (t == NULL || t->f == NULL || over_budget(t, n))
		return;
	if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')
		n -= 2;
	fputs("S: ", t->f);
	for (i = 0; i < n; i++)
		put_escaped(t->f, (unsigned char)p[i]);
	putc('\n', t->f);
	if (ferror(t->f))
		failed(t);
}

/* The message data begins (on) or has ended (off): the cap counts
 * the whole message, not each of its lines. */
void
transcript_data(struct transcript *t, int on)
{
	if (t == NULL || t->f == NULL)
		return;
	t->in_data = on;
	if (!on) {
		if (t->pending_cr) {
			if (!t->in_line)
				fputs("C: ", t->f);
			put_escaped(t->f, '\r');
			t->in_line = 1;
			t->pending_cr = 0;
		}
		if (t->in_line)
			fputs("\\c\n", t->f);
		t->in_line = 0;
		note_dropped(t);
	}
	t->kept = 0;
}

/* Count n more octets; past the session's budget, end the recording. */
static int
over_budget(struct transcript *t, size_t n)
{
	t->total += n;
	if (t->total <= TRANSCRIPT_SESSION_MAX)
		return 0;
	fprintf(t->f, "%s# truncated: the session went on past %d octets; "
	    "recording stopped\n", t->in_line ? "\\c\n" : "",
	    TRANSCRIPT_SESSION_MAX);
	log_warnx("transcript: session over %d octets, recording stopped",
	    TRANSCRIPT_SESSION_MAX);
	if (fclose(t->f) == EOF)
		log_warn("transcript close");
	t->f = NULL;
	return 1;
}

static void
failed(struct transcript *t)
{
	log_warn("transcript write");
	fclose(t->f);
	t->f = NULL;
}

void
transcript_close(struct transcript *t)
{
	if (t == NULL)
		return;
	if (t->f != NULL) {
		if (t->in_line || t->pending_cr)
			fputs(t->pending_cr ? "\\r\\c\n" : "\\c\n", t->f);
		if (fclose(t->f) == EOF)
			log_warn("transcript close");
	}
	free(t);
}
