/* ISC license. */
/*
 * The handover to a TLS wrapper process for STARTTLS (RFC 3207), and
 * what the environment says about one.  No TLS code lives here: the
 * wrapper does the handshake and the record layer, and smtpd goes on
 * reading and writing plain descriptors.
 *
 * UCSPI-TLS (ucspi-tls(2) of ucspi-ssl; s6-ucspitlsd, sslserver -n,
 * mailfront): SSLCTLFD, SSLREADFD and SSLWRITEFD name the descriptors.
 * After the 220, smtpd writes "Y" on the control descriptor and reads
 * back "VAR=value\0" entries ending in an empty one; nothing at all
 * means the handshake failed.  From then on it reads SSLREADFD and
 * writes SSLWRITEFD, so what the client sent in plaintext after
 * STARTTLS is never read again: the boundary is exact.
 *
 * tlswrapper -n (-W): the 220 goes on the control pipe, descriptor 5,
 * instead of stdout, and closing the pipe starts the handshake; the
 * session goes on, decrypted, on stdin and stdout.  Plaintext the
 * wrapper passed on before it saw the pipe close sits in stdin, so it
 * is read and thrown away, before the 220 and again after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linebuf.h"
#include "tls.h"
#include "util.h"

/* tlswrapper -n's control pipe (tlswrapper(1), -n) */
#define TLSWRAPPER_CTL_FD	5
/* room for the wrapper's entries: s6's come in 4 KiB */
#define TLS_ENV_MAX		8192
/* at most this much plaintext is thrown away at once */
#define TLS_DRAIN_MAX		((size_t)1 << 20)

static int	open_fd(const char *, int *);
static int	write_all(int, const char *, size_t, int);
static size_t	drain(int);
static int	complete(const char *, size_t);
static enum tls_status read_environment(int, int, char *, char *);

/* The descriptor named by environment variable var: a number, open. */
static int
open_fd(const char *var, int *fd)
{
	const char *v = getenv(var);
	char *end;
	long n;

	if (v == NULL || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || errno != 0 || n > INT_MAX)
		return 0;
	if (fcntl((int)n, F_GETFD) == -1)
		return 0;
	*fd = (int)n;
	return 1;
}

/*
 * Fill in what the environment says, after the options (-W, -I, -S).
 * A wrapper is never guessed from an open descriptor: only the
 * UCSPI-TLS variables or -W name one.  Returns why the combination
 * cannot work, or NULL.
 */
const char *
tls_config_read(struct tls_config *t)
{
	int ucspi = getenv("SSLCTLFD") != NULL;
	const char *p;

	if (ucspi && t->use_tlswrapper)
		return "-W and the UCSPI-TLS variables (SSLCTLFD) exclude "
		    "each other";
	if (t->implicit && (ucspi || t->use_tlswrapper))
		return "-I is TLS from the start; it excludes -W and "
		    "SSLCTLFD";
	if (ucspi) {
		if (!open_fd("SSLCTLFD", &t->ctl_fd) ||
		    !open_fd("SSLREADFD", &t->read_fd) ||
		    !open_fd("SSLWRITEFD", &t->write_fd))
			return "SSLCTLFD, SSLREADFD and SSLWRITEFD must name "
			    "open descriptors";
		t->wrapper = TLS_UCSPI;
	} else if (t->use_tlswrapper) {
		if (fcntl(TLSWRAPPER_CTL_FD, F_GETFD) == -1)
			return "-W needs descriptor 5 open: run smtpd under "
			    "tlswrapper -n";
		t->ctl_fd = TLSWRAPPER_CTL_FD;
		t->wrapper = TLS_TLSWRAPPER;
	} else if (getenv("SSL_PROTOCOL") != NULL)
		t->implicit = 1;	/* sslserver, s6-tlsd: SMTPS */
	if (t->implicit) {
		if ((p = getenv("SSL_PROTOCOL")) != NULL)
			tls_name(t->protocol, p);
		if ((p = getenv("SSL_CIPHER")) != NULL)
			tls_name(t->cipher, p);
	}
	if (t->required && t->wrapper == TLS_NONE && !t->implicit)
		return "-S needs a TLS wrapper: -W, -I or the UCSPI-TLS "
		    "variables";
	return NULL;
}

/*
 * A protocol or cipher name for a header line: the characters such
 * names use, anything else as '?', cut to TLS_NAME_MAX - 1.
 */
void
tls_name(char *dst, const char *src)
{
	util_header_word(dst, TLS_NAME_MAX, src, ".-_");
}

/* Write p[0..n) to fd, each wait bounded by the timeout (linebuf.c). */
static int
write_all(int fd, const char *p, size_t n, int timeout_s)
{
	struct outbuf ob;

	outbuf_init(&ob, fd, timeout_s);
	outbuf_put(&ob, p, n);
	return outbuf_flush(&ob);
}

/*
 * Read and throw away what can be read from fd without waiting:
 * plaintext sent after STARTTLS (CVE-2011-0411).  Returns how much.
 */
static size_t
drain(int fd)
{
	struct pollfd pfd;
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while (total < TLS_DRAIN_MAX) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			break;
		if ((n = read(fd, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	return total;
}

/* Whether buf holds the empty entry that ends the block. */
static int
complete(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] == '\0' && (i == 0 || buf[i - 1] == '\0'))
			return 1;
	return 0;
}

/*
 * The UCSPI-TLS answer to "Y": "VAR=value\0" entries ending in an
 * empty one.  End of file before any octet means the handshake failed.
 */
static enum tls_status
read_environment(int fd, int timeout_s, char *protocol, char *cipher)
{
	static char buf[TLS_ENV_MAX];
	long long deadline = util_now_ms() + (long long)timeout_s * 1000;
	size_t len = 0;
	ssize_t n;
	int ready;

	for (;;) {
		if (complete(buf, len)) {
			tls_parse_environment(buf, len, protocol, cipher);
			return TLS_OK;
		}
		if (len == sizeof(buf))
			return TLS_FAILED;
		if ((ready = util_wait_readable(fd, deadline)) == 0)
			return TLS_TIMEOUT;
		if (ready == -1)
			return TLS_FAILED;
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return TLS_FAILED;
		len += (size_t)n;
	}
}

/*
 * The entries of a UCSPI-TLS environment block: SSL_PROTOCOL and
 * SSL_CIPHER, made safe for a header, into protocol and cipher
 * (TLS_NAME_MAX each; "" when absent).
 */
void
tls_parse_environment(const char *buf, size_t len, char *protocol,
    char *cipher)
{
	char entry[TLS_NAME_MAX * 2];
	const char *p = buf, *end = buf + len, *nul;
	size_t n;

	protocol[0] = cipher[0] = '\0';
	while (p < end && *p != '\0') {
		nul = memchr(p, '\0', (size_t)(end - p));
		n = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
		if (n < sizeof(entry)) {
			memcpy(entry, p, n);
			entry[n] = '\0';
			if (strncmp(entry, "SSL_PROTOCOL=", 13) == 0)
				tls_name(protocol, entry + 13);
			else if (strncmp(entry, "SSL_CIPHER=", 11) == 0)
				tls_name(cipher, entry + 11);
		}
		if (nul == NULL)
			break;
		p = nul + 1;
	}
}

/*
 * Hand the session to the wrapper after STARTTLS: line is the 220
 * reply, which goes to the client in plaintext, on out for UCSPI-TLS
 * and on the control pipe for tlswrapper.  in and out are the
 * plaintext descriptors.  On TLS_OK, ts says which descriptors carry
 * the session now and what the wrapper said about it.
 */
enum tls_status
tls_start(const struct tls_config *t, int in, int out, const char *line,
    size_t len, int timeout_s, struct tls_session *ts)
{
	enum tls_status st;

	memset(ts, 0, sizeof(*ts));
	if (t->wrapper == TLS_UCSPI) {
		if (write_all(out, line, len, timeout_s) == -1 ||
		    write_all(t->ctl_fd, "Y", 1, timeout_s) == -1)
			return TLS_FAILED;
		st = read_environment(t->ctl_fd, timeout_s, ts->protocol,
		    ts->cipher);
		if (st != TLS_OK)
			return st;
		ts->in = t->read_fd;
		ts->out = t->write_fd;
		return TLS_OK;
	}
	ts->discarded = drain(in);
	if (write_all(t->ctl_fd, line, len, timeout_s) == -1) {
		(void)close(t->ctl_fd);
		return TLS_FAILED;
	}
	if (close(t->ctl_fd) == -1)
		return TLS_FAILED;
	ts->discarded += drain(in);
	ts->in = in;
	ts->out = out;
	return TLS_OK;
}
