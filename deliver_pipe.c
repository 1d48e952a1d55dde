/* ISC license. */
/*
 * Pipe delivery: run the configured program with execve(), never
 * through a shell, with an environment built field by field, the
 * message on its stdin, its stdout on /dev/null (fd 1 of smtpd is the
 * client's socket) and its stderr read back for the reply.  Only exit
 * status 0 is a delivery; the table in outcome() maps the rest.
 *
 * stdin is an unlinked temporary file in $TMPDIR holding "Return-Path:"
 * and the message, not a pipe the parent feeds: if smtpd dies while the
 * program reads (a kill -9, the OOM killer), a pipe would hand it an
 * early end of file, and it might deliver a truncated message; the file
 * holds the whole message whatever becomes of smtpd, so the worst left
 * is SMTP's duplicate (smtpd.8, CAVEATS).  The price is one more copy
 * of the message, into the page cache (it is not synced), before the
 * program starts.  A program that exits without reading it all is
 * judged by its exit status alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "method.h"
#include "trace.h"
#include "util.h"

#define EX_NOUSER	67	/* <sysexits.h> is not POSIX */
#define COPY_CHUNK	65536	/* octets of the spool copied at a time */
#define CLOSE_FD_MAX	65536	/* see child() */
#define TICK_MAX_MS	64	/* longest wait between looks at the child */
#define DRAIN_READS	64	/* reads of stderr per wakeup */
#define EXEC_FAILED	"cannot execute delivery program: "

/* The environment, built from scratch: nothing of smtpd's leaks. */
struct pipe_env {
	char	 sender[sizeof("SENDER=") + ADDR_MAILBOX_MAX];
	char	 recipient[sizeof("RECIPIENT=") + ADDR_MAILBOX_MAX];
	char	 local[sizeof("LOCAL=") + ADDR_MAILBOX_MAX];
	char	 domain[sizeof("DOMAIN=") + ADDR_DOMAIN_MAX];
	char	 client[sizeof("TCPREMOTEIP=") + 80];
	char	*envp[7];
};


/* The first non-blank line of the child's stderr, printable ASCII. */
struct errline {
	int	 fd;		/* our end, -1 once closed */
	int	 done;		/* the line is complete; discard the rest */
	size_t	 len;
	char	 text[METHOD_DETAIL_MAX + 1];
};

static const char *check_config(const char *);
static void	make_env(struct pipe_env *, const struct envelope *,
		    const struct addr *, const char *);
static int	above_stdio(int);
static void	child(char *const [], char *const [], int, int)
		    __attribute__((noreturn));
static int	reap(pid_t, int *, int);
static int	input_file(const struct method_copy *);
static int	append(void *, const char *, size_t);
static void	errline_add(struct errline *, const char *, size_t);
static void	errline_drain(struct errline *);
static const char *errline_text(struct errline *);
static int	run(pid_t, struct errline *, int, int *);
static struct deliver_result outcome(char *const [],
		    const struct envelope *, int, const char *);
static pid_t	start(char *const [], char *const [], int, int *);
static struct deliver_result pipe_write(const struct method_copy *, void *);

/*
 * A run cannot be taken back, so in SMTP a transaction has one
 * recipient (smtpd.8: All or nothing), and each distinct recipient has
 * a run of its own: the program is told whom the message is for.
 */
const struct method method_pipe = {
	.name = "pipe",
	.one_rcpt = 1,
	.per_rcpt = 1,
	.buf_size = COPY_CHUNK,
	.check_config = check_config,
	.write = pipe_write
};

static const char *
check_config(const char *program)
{
	if (program[0] != '/')
		return "the pipe program needs an absolute path";
	if (strchr(program, '%') != NULL)
		return "the pipe program is a fixed path: no % in it";
	return NULL;
}

static void
make_env(struct pipe_env *pe, const struct envelope *env,
    const struct addr *rcpt, const char *peer)
{
	static char path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
	char local[ADDR_LOCAL_MAX + 1], *p;

	snprintf(pe->sender, sizeof(pe->sender), "SENDER=%s",
	    env->sender->mailbox);
	snprintf(pe->recipient, sizeof(pe->recipient), "RECIPIENT=%s",
	    rcpt->mailbox);
	/* LOCAL and DOMAIN are what %u and %d expand to (smtpd.8: pipe) */
	addr_local_folded(rcpt, local);
	snprintf(pe->local, sizeof(pe->local), "LOCAL=%s", local);
	snprintf(pe->domain, sizeof(pe->domain), "DOMAIN=%s",
	    addr_domain(rcpt));
	/* domains are case-insensitive (RFC 5321 2.4); ASCII only */
	for (p = pe->domain + sizeof("DOMAIN=") - 1; *p != '\0'; p++)
		*p = util_ascii_lower(*p);
	pe->envp[0] = pe->sender;
	pe->envp[1] = pe->recipient;
	pe->envp[2] = pe->local;
	pe->envp[3] = pe->domain;
	pe->envp[4] = path;
	pe->envp[5] = NULL;
	/* the client, as tcpserver names it: no "IPv6:" (smtpd.8: pipe) */
	if (peer != NULL) {
		if (strncmp(peer, "IPv6:", 5) == 0)
			peer += 5;
		snprintf(pe->client, sizeof(pe->client), "TCPREMOTEIP=%s",
		    peer);
		pe->envp[5] = pe->client;
		pe->envp[6] = NULL;
	}
}

/* Move fd above 0..2, so setting up stdio cannot overwrite it. */
static int
above_stdio(int fd)
{
	if (fd >= 0 && fd <= 2)
		return fcntl(fd, F_DUPFD, 3);
	return fd;
}

/*
 * In the child: a process group of its own (so a timeout kills its
 * children too), default signal dispositions and an empty mask (exec
 * keeps ignored signals, and smtpd ignores SIGPIPE and SIGXFSZ), stdio
 * set up, every other descriptor closed.  smtpd marks its own
 * descriptors FD_CLOEXEC; the close loop is a second line of defence,
 * capped at CLOSE_FD_MAX so that a limit of millions (containers) does
 * not cost a million system calls per delivery.
 *
 * When execve() fails, say why on stderr and exit 75 (temporary): a
 * missing or unrunnable program is an admin's mistake to fix, and the
 * mail should wait for the fix rather than bounce, as a shell's 127
 * would make it (any exit but 0, 67 and 75 is permanent).
 */
static void
child(char *const argv[], char *const envp[], int in, int err)
{
	static const int sigs[] = {
		SIGPIPE, SIGXFSZ, SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM,
		SIGALRM, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU
	};
	char msg[256];
	sigset_t none;
	long max;
	size_t i;
	int null, fd, n;

	setpgid(0, 0);
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = above_stdio(open("/dev/null", O_WRONLY | O_NOCTTY));
	in = above_stdio(in);
	err = above_stdio(err);
	if (null == -1 || in == -1 || err == -1 || dup2(in, 0) == -1 ||
	    dup2(null, 1) == -1 || dup2(err, 2) == -1)
		_exit(EX_TEMPFAIL);
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > CLOSE_FD_MAX)
		max = CLOSE_FD_MAX;
	for (fd = 3; fd < max; fd++)
		close(fd);
	execve(argv[0], argv, envp);
	/* one write, so the parent reads the line whole */
	n = snprintf(msg, sizeof(msg), "%s%s\n", EXEC_FAILED,
	    strerror(errno));
	if (n > 0 && write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n :
	    sizeof(msg) - 1) == -1)
		_exit(EX_TEMPFAIL);
	_exit(EX_TEMPFAIL);
}

/* waitpid() through EINTR: 1 when pid is gone, 0 if it runs, -1. */
static int
reap(pid_t pid, int *status, int flags)
{
	pid_t r;

	while ((r = waitpid(pid, status, flags)) == -1 && errno == EINTR)
		;
	if (r == -1)
		return -1;
	return r == pid;
}

/* spool_copy()'s writer: append to the descriptor in arg. */
static int
append(void *arg, const char *p, size_t n)
{
	return util_write_all(*(int *)arg, p, n);
}

/*
 * The program's stdin: an unlinked file in $TMPDIR holding the
 * Return-Path line and the message, positioned at its start.  A
 * descriptor, or -1 with errno.
 */
static int
input_file(const struct method_copy *c)
{
	int fd, n, err;

	if ((fd = util_tmpfile()) == -1)
		return -1;
	if ((n = trace_return_path(c->buf, c->bufsize,
	    c->env->sender->mailbox)) == -1) {
		close(fd);
		errno = ENOBUFS;
		return -1;
	}
	if (util_write_all(fd, c->buf, (size_t)n) == -1 ||
	    spool_copy(c->sp, c->buf, c->bufsize, append, &fd) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Keep printable ASCII of the first line that has any, up to
 * METHOD_DETAIL_MAX octets, without leading or trailing spaces: it
 * becomes part of a reply line, which must stay plain ASCII.  Later
 * lines are read and dropped, so the program never blocks on stderr.
 */
static void
errline_add(struct errline *e, const char *p, size_t n)
{
	unsigned char c;

	for (; n > 0 && !e->done; p++, n--) {
		c = (unsigned char)*p;
		if (c == '\n')
			e->done = e->len > 0;
		else if (c < 32 || c > 126 || (c == ' ' && e->len == 0))
			continue;
		else if (e->len < METHOD_DETAIL_MAX)
			e->text[e->len++] = (char)c;
	}
}

/* The line, without trailing spaces (only now: more may have come). */
static const char *
errline_text(struct errline *e)
{
	while (e->len > 0 && e->text[e->len - 1] == ' ')
		e->len--;
	e->text[e->len] = '\0';
	return e->text;
}

/* Read what stderr holds now, boundedly so a flood cannot starve us. */
static void
errline_drain(struct errline *e)
{
	char buf[4096];
	ssize_t n;
	int i;

	for (i = 0; i < DRAIN_READS && e->fd != -1; i++) {
		n = read(e->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			close(e->fd);
			e->fd = -1;
			return;
		}
		errline_add(e, buf, (size_t)n);
	}
}

/*
 * Drain stderr until the child is gone or the deadline passes; then
 * kill its whole group.  The child's exit is seen by waitpid(WNOHANG)
 * between short polls, not by EOF on stderr: a grandchild may hold
 * that open for ever.  Returns 1 with the wait status, 0 on timeout,
 * -1 on a local error (errno set).
 */
static int
run(pid_t pid, struct errline *e, int timeout_s, int *status)
{
	struct pollfd pfd;
	long long deadline = 0, left;
	int tick = 1, n, r;

	if (timeout_s > 0)
		deadline = util_now_ms() + (long long)timeout_s * 1000;
	for (;;) {
		if ((r = reap(pid, status, WNOHANG)) != 0)
			break;
		left = timeout_s > 0 ? deadline - util_now_ms() :
		    TICK_MAX_MS;
		if (left <= 0)
			break;
		pfd.fd = e->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, e->fd != -1 ? 1 : 0, left < tick ? (int)left :
		    tick);
		if (n == -1 && errno != EINTR) {
			r = -1;
			break;
		}
		if (n <= 0) {
			tick = tick * 2 > TICK_MAX_MS ? TICK_MAX_MS : tick * 2;
			continue;
		}
		tick = 1;
		errline_drain(e);
	}
	if (r == 1) {
		/* gone: take what stderr already holds, wait no more */
		errline_drain(e);
		return 1;
	}
	n = errno;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);	/* in case setpgid() did not happen */
	reap(pid, status, 0);
	errno = n;
	return r;
}

/* exit 0: delivered; 75: later; 67: no such user; other: failed. */
static struct deliver_result
outcome(char *const argv[], const struct envelope *env, int status,
    const char *line)
{
	struct deliver_result res;
	int code;

	if (WIFSIGNALED(status)) {
		res = method_outcome(DELIVER_TEMP, R_PIPE_CRASHED);
		snprintf(res.detail, sizeof(res.detail), "%d",
		    WTERMSIG(status));
		log_warnx("pipe %s (%s): killed by signal %d%s%s", argv[0],
		    env->id, WTERMSIG(status), *line != '\0' ? ": " : "",
		    line);
		return res;
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code == 0) {
		log_info("pipe %s (%s): delivered", argv[0], env->id);
		return method_outcome(DELIVER_OK, R_DATA_OK);
	}
	if (code == EX_TEMPFAIL)
		res = method_outcome(DELIVER_TEMP, R_PIPE_TEMPFAIL);
	else if (code == EX_NOUSER)
		res = method_outcome(DELIVER_PERM, R_PIPE_NOUSER);
	else
		res = method_outcome(DELIVER_PERM, R_PIPE_FAILED);
	if (*line != '\0')
		util_strlcpy(res.detail, line, sizeof(res.detail));
	else
		snprintf(res.detail, sizeof(res.detail), "exit status %d",
		    code);
	log_warnx("pipe %s (%s): exit status %d: %s", argv[0], env->id,
	    code, res.detail);
	return res;
}

/*
 * Start argv with envp, its stdin and stderr two pipes whose other
 * ends are ours: *to (its stdin) and *from (its stderr), close-on-exec
 * and non-blocking.  The child's pid, or -1 with errno and nothing
 * left open.
 */
static pid_t
start(char *const argv[], char *const envp[], int in, int *from)
{
	int er[2], n;
	pid_t pid;

	if (pipe(er) == -1)
		return -1;
	/* our end: never inherited, never blocking the poll loop */
	fcntl(er[0], F_SETFD, FD_CLOEXEC);
	fcntl(er[0], F_SETFL, O_NONBLOCK);
	if ((pid = fork()) == -1) {
		n = errno;
		close(er[0]);
		close(er[1]);
		errno = n;
		return -1;
	}
	if (pid == 0)
		child(argv, envp, in, er[1]);
	close(er[1]);
	setpgid(pid, pid);	/* both sides, so kill(-pid) works at once */
	*from = er[0];
	return pid;
}

/*
 * Run argv (argv[0] an absolute path, every element already expanded
 * by deliver.c; envelope data reaches the program only as whole argv
 * elements and in its environment) with the message on stdin, and map
 * its end to an outcome.  Nothing is held afterwards (tx is empty).
 * The caller must ignore SIGPIPE, as smtpd does, or a program that
 * stops reading kills it.
 */
static struct deliver_result
pipe_write(const struct method_copy *c, void *tx)
{
	char *const *argv = c->argv;
	const struct envelope *env = c->env;
	struct errline e;
	struct pipe_env pe;
	int status, r, n, in;
	pid_t pid;

	(void)tx;
	if (argv[0] == NULL || argv[0][0] != '/') {
		log_warnx("pipe: the program needs an absolute path");
		return method_outcome(DELIVER_TEMP, R_LOCAL_ERROR);
	}
	memset(&pe, 0, sizeof(pe));
	make_env(&pe, env, c->full, c->peer);
	memset(&e, 0, sizeof(e));
	if ((in = input_file(c)) == -1)
		goto fail;
	pid = start(argv, pe.envp, in, &e.fd);
	n = errno;
	close(in);
	if (pid == -1) {
		errno = n;
		goto fail;
	}
	r = run(pid, &e, c->timeout_s, &status);
	n = errno;
	if (e.fd != -1)
		close(e.fd);
	if (r == 1)
		return outcome(argv, env, status, errline_text(&e));
	if (r == 0) {
		log_warnx("pipe %s (%s): timed out after %d s", argv[0],
		    env->id, c->timeout_s);
		return method_outcome(DELIVER_TEMP, R_PIPE_TIMEOUT);
	}
	errno = n;
fail:
	log_warn("pipe %s (%s)", argv[0], env->id);
	return method_outcome_errno(errno);
}
