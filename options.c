/* ISC license. */
/*
 * The command line contract (smtpd.8: OPTIONS, DIAGNOSTICS) and what
 * the environment says, into a struct config, with -L's lesson: every
 * wrong command line gets one line on stderr and exit 64, before the
 * session starts (stderr is still ours then).  Started as root, smtpd leaves root
 * here, before it reads a byte from the client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "options.h"
#include "deliver.h"
#include "hint.h"
#include "lesson.h"
#include "log.h"
#include "priv.h"
#include "proxy.h"
#include "rcpt_table.h"
#include "util.h"

#define DEFAULT_MAX_SIZE	10240000ULL
#define DEFAULT_MAX_RCPTS	100	/* RFC 5321 4.5.3.1.8 minimum */
#define MAX_RCPTS_LIMIT		1000
#define DEFAULT_TIMEOUT		300	/* RFC 5321 4.5.3.2.7 */
#define DEFAULT_PIPE_TIMEOUT	600	/* RFC 5321 4.5.3.2.6: 10 minutes */
/* -U: unknown recipients before replies slow down, before 421, and the
 * first delay (smtpd.8: -U) */
#define DEFAULT_UNKNOWN_AFTER	3
#define DEFAULT_UNKNOWN_LIMIT	10
#define DEFAULT_UNKNOWN_DELAY	1000	/* ms, doubled each time */

static const char usage_text[] =
    "usage: smtpd [-eIlMSvW] [-C file] [-L lesson] [-n name] [-d domain]... "
    "[-P addr[/len]]... "
    "[-R file] [-s bytes] [-r count] [-T seconds] [-t seconds] "
    "[-U after,limit,ms] [-u user] [-x dir] "
    "[mbox path | maildir dir | pipe program [arg ...]]";

static void	usage(const char *) __attribute__((noreturn));
static unsigned long long number(const char *, unsigned long long,
		    unsigned long long, const char *);
static const char *peer_address(char *, size_t);
static void	parse_method(struct config *, int, char **);
static void	leave_root(const char *, int, const char *);
static void	parse_options(struct config *, int, char **);
static void	from_environment(struct config *);
static void	parse_throttle(struct config *, char *);
static void	load_table(struct config *);
static void	compile_table(int) __attribute__((noreturn));
static const struct lesson *choose_lesson(struct config *);

static const char *compile_path;	/* -C */
static const char *lesson_name;		/* -L */

/* One line on stderr: the session has not started, so it is ours. */
static void
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "smtpd: %s; %s\n", why, usage_text);
	else
		fprintf(stderr, "%s\n", usage_text);
	exit(EX_USAGE);
}

static unsigned long long
number(const char *s, unsigned long long min, unsigned long long max,
    const char *what)
{
	unsigned long long v;
	const char *end = s;
	char why[80];

	if (util_decimal(&end, &v) != 1 || *end != '\0' || v < min ||
	    v > max) {
		snprintf(why, sizeof(why), "%s must be a number from %llu to "
		    "%llu", what, min, max);
		usage(why);
	}
	return v;
}

/*
 * The client's address: from the socket on fd 0, else from what
 * tcpserver or another launcher put in the environment (checked to be
 * an address), else NULL: the session runs on a terminal or a pipe.
 */
static const char *
peer_address(char *buf, size_t size)
{
	static const char *const vars[] = { "TCPREMOTEIP", "REMOTE_ADDR",
	    "REMOTE_HOST", NULL };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	unsigned char bin[16];
	const char *v;
	size_t i;

	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET && proxy_address_text(buf, size,
		    AF_INET, &((struct sockaddr_in *)&ss)->sin_addr))
			return buf;
		if (ss.ss_family == AF_INET6 && proxy_address_text(buf, size,
		    AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr))
			return buf;
	}
	for (i = 0; vars[i] != NULL; i++) {
		if ((v = getenv(vars[i])) == NULL)
			continue;
		if (inet_pton(AF_INET, v, bin) == 1 &&
		    proxy_address_text(buf, size, AF_INET, bin))
			return buf;
		if (inet_pton(AF_INET6, v, bin) == 1 &&
		    proxy_address_text(buf, size, AF_INET6, bin))
			return buf;
	}
	return NULL;
}

static void
parse_method(struct config *cfg, int argc, char **argv)
{
	static char *default_mbox[] = { "./mbox", NULL };
	static char *lesson_mbox[] = { LESSON_MBOX, NULL };
	const char *why;

	if (argc == 0) {
		cfg->method = METHOD_MBOX;
		cfg->method_argv = lesson_name != NULL ? lesson_mbox :
		    default_mbox;
		cfg->method_argc = 1;
		return;
	}
	if (strcmp(argv[0], "mbox") == 0 && argc == 2)
		cfg->method = METHOD_MBOX;
	else if (strcmp(argv[0], "maildir") == 0 && argc == 2)
		cfg->method = METHOD_MAILDIR;
	else if (strcmp(argv[0], "pipe") == 0 && argc >= 2)
		cfg->method = METHOD_PIPE;
	else
		usage("the method is mbox PATH, maildir DIR or "
		    "pipe PROGRAM [ARG...]");
	if (*argv[1] == '\0')
		usage("empty mailbox path");
	cfg->method_argv = argv + 1;
	cfg->method_argc = argc - 1;
	if ((why = deliver_check_config(cfg)) != NULL)
		usage(why);
}

/*
 * Never a session as root.  Started as root, smtpd needs -u and becomes
 * that user before it reads a byte from the client; a launcher that has
 * already switched users needs no -u.
 */
static void
leave_root(const char *user, int log_stderr, const char *argv0)
{
	const char *why;
	int status;

	if (user == NULL) {
		if (geteuid() != 0)
			return;
		why = "started as root: name the user to run as with -u user";
		status = EX_USAGE;
	} else if ((why = priv_drop(user, &status)) == NULL)
		return;
	/* under inetd stderr is the client: tell the admin in syslog too */
	log_open(log_stderr);
	if (!log_stderr)
		log_warnx("%s", why);
	if (status == EX_USAGE && user == NULL && isatty(STDIN_FILENO)) {
		/* a person in a root shell: the command that works */
		fprintf(stderr, "smtpd: %s; %s\n", why, usage_text);
		fprintf(stderr, hint_language(getenv("LC_ALL"),
		    getenv("LC_MESSAGES"), getenv("LANG")) == HINT_JA ?
		    "smtpd: 練習には: %s -u nobody mbox /tmp/practice.mbox\n" :
		    "smtpd: to practise, type: %s -u nobody mbox "
		    "/tmp/practice.mbox\n", argv0);
		exit(EX_USAGE);
	}
	if (status == EX_USAGE)
		usage(why);
	fprintf(stderr, "smtpd: %s\n", why);
	exit(status);
}

/* -U after,limit,ms: three numbers, after below limit. */
static void
parse_throttle(struct config *cfg, char *arg)
{
	char *limit, *ms;

	if ((limit = strchr(arg, ',')) == NULL ||
	    (ms = strchr(limit + 1, ',')) == NULL)
		usage("-U takes after,limit,ms");
	*limit++ = '\0';
	*ms++ = '\0';
	cfg->unknown_after = (unsigned)number(arg, 0, 1000, "-U after");
	cfg->unknown_limit = (unsigned)number(limit, 1, 100000, "-U limit");
	cfg->unknown_delay_ms = (unsigned)number(ms, 0, 60000, "-U ms");
	if (cfg->unknown_after >= cfg->unknown_limit)
		usage("-U after must be less than limit");
}

/*
 * -R, read as the session's user.  A wrong line is the admin's to fix:
 * exit 78 (EX_CONFIG) with the file and line, in the log and on a
 * terminal.  A table that cannot be read is the admin's to fix too,
 * but mail is not lost over it: every RCPT gets 451 (envelope.c).
 */
static void
load_table(struct config *cfg)
{
	char why[ADDR_MAILBOX_MAX + 1024];
	int err;

	if (cfg->rcpt_path == NULL)
		return;
	cfg->rcpts = rcpt_table_load(cfg->rcpt_path, &err, why, sizeof(why));
	if (cfg->rcpts != NULL)
		return;
	cfg->rcpts_errno = err;
	if (err != 0)
		return;
	log_open(cfg->log_stderr);
	log_warnx("recipient table: %s", why);
	if (!cfg->log_stderr && isatty(2))
		fprintf(stderr, "smtpd: recipient table: %s\n", why);
	exit(EX_CONFIG);
}

/*
 * -C FILE: FILE checked and compiled into FILE.cdb, then exit: 0, 78
 * for a wrong line, 74 when a file cannot be read or written.  A
 * command for the admin, so the word goes to stderr.
 */
static void
compile_table(int nargs)
{
	char why[ADDR_MAILBOX_MAX + 1024];
	int err;

	if (nargs != 0)
		usage("-C compiles a table: no method");
	if (rcpt_table_compile(compile_path, &err, why, sizeof(why)) == 0)
		exit(0);
	if (err != 0)
		fprintf(stderr, "smtpd: recipient table: %s: %s\n",
		    compile_path, strerror(err));
	else
		fprintf(stderr, "smtpd: recipient table: %s\n", why);
	exit(err != 0 ? EX_IOERR : EX_CONFIG);
}

/*
 * -L NAME: the lesson, whose seed's server name is -n's default.  -L
 * list prints the lessons on stdout and exits 0 (smtpd.8: LESSONS).
 */
static const struct lesson *
choose_lesson(struct config *cfg)
{
	const struct lesson *l;
	char names[200], why[300];

	if (strcmp(lesson_name, "list") == 0) {
		lesson_list(STDOUT_FILENO, hint_language(getenv("LC_ALL"),
		    getenv("LC_MESSAGES"), getenv("LANG")));
		exit(0);
	}
	if ((l = lesson_find(lesson_name)) == NULL) {
		(void)lesson_names(names, sizeof(names));
		snprintf(why, sizeof(why), "-L takes list or a lesson: %s",
		    names);
		usage(why);
	}
	if (cfg->lmtp)
		usage("-L lessons are SMTP: no -l");
	if (cfg->hostname == NULL)
		cfg->hostname = l->host;
	return l;
}

/* The options, up to the delivery method. */
static void
parse_options(struct config *cfg, int argc, char **argv)
{
	int ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, "C:d:eIL:lMn:P:R:r:Ss:T:t:U:u:vWx:"))
	    != -1) {
		switch (ch) {
		case 'C':
			if (*optarg == '\0')
				usage("-C takes a file");
			compile_path = optarg;
			break;
		case 'd':
			if (!util_is_word(optarg, 255))
				usage("-d takes a domain name");
			cfg->domains[cfg->ndomains++] = optarg;
			break;
		case 'e':
			cfg->log_stderr = 1;
			break;
		case 'I':
			cfg->tls.implicit = 1;
			break;
		case 'L':
			lesson_name = optarg;
			break;
		case 'l':
			cfg->lmtp = 1;
			break;
		case 'M':
			cfg->existing_only = 1;
			break;
		case 'n':
			if (!util_is_word(optarg, 255))
				usage("-n takes a host name without spaces");
			cfg->hostname = optarg;
			break;
		case 'P':
			if (!proxy_net_parse(optarg,
			    &cfg->proxy_nets[cfg->nproxy_nets]))
				usage("-P takes an IPv4 or IPv6 address, "
				    "optionally with /prefix-length");
			cfg->nproxy_nets++;
			break;
		case 'R':
			if (*optarg == '\0')
				usage("-R takes a file");
			cfg->rcpt_path = optarg;
			break;
		case 'r':
			/* deliver.c holds every distinct mailbox of an SMTP
			 * transaction open until all are written: bounded by
			 * descriptors (1024 by default) */
			cfg->max_rcpts = (unsigned long)number(optarg, 1,
			    MAX_RCPTS_LIMIT, "-r");
			break;
		case 'S':
			cfg->tls.required = 1;
			break;
		case 's':
			cfg->max_size = number(optarg, 1, 1ULL << 50, "-s");
			break;
		case 't':
			cfg->timeout = (int)number(optarg, 1, 86400, "-t");
			break;
		case 'T':
			cfg->pipe_timeout = (int)number(optarg, 1, 86400, "-T");
			break;
		case 'U':
			parse_throttle(cfg, optarg);
			break;
		case 'u':
			cfg->user = optarg;
			break;
		case 'v':
			cfg->verbose = 1;
			break;
		case 'W':
			cfg->tls.use_tlswrapper = 1;
			break;
		case 'x':
			if (*optarg == '\0')
				usage("-x takes a directory");
			cfg->transcript_dir = optarg;
			break;
		default:
			usage("unknown option or missing value");
		}
	}
}

/*
 * What the environment says: the host name, whether a person is at a
 * terminal, the language of hints, the client's address and the TLS
 * wrapper (tls.c).
 */
static void
from_environment(struct config *cfg)
{
	static char host[256], peer[80];
	const char *why;

	if ((why = tls_config_read(&cfg->tls)) != NULL)
		usage(why);

	if (cfg->hostname == NULL) {
		if (gethostname(host, sizeof(host) - 1) == -1 ||
		    !util_is_word(host, 255))
			util_strlcpy(host, "localhost", sizeof(host));
		cfg->hostname = host;
	}
	cfg->interactive = isatty(0);
	/* hints only for a person at a terminal: under inetd stderr is
	 * the client's socket, and a pipe may be a test comparing bytes */
	cfg->hints = cfg->interactive && isatty(2);
	cfg->hint_lang = hint_language(getenv("LC_ALL"),
	    getenv("LC_MESSAGES"), getenv("LANG"));
	cfg->peer = peer_address(peer, sizeof(peer));
}

/*
 * Fill cfg from the command line (exiting with its one line on stderr
 * when it is wrong), leave root, then fill in what the environment
 * says.
 */
void
options_parse(struct config *cfg, int argc, char **argv)
{
	const struct lesson *lesson = NULL;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_size = DEFAULT_MAX_SIZE;
	cfg->max_rcpts = DEFAULT_MAX_RCPTS;
	cfg->timeout = DEFAULT_TIMEOUT;
	cfg->pipe_timeout = DEFAULT_PIPE_TIMEOUT;
	cfg->unknown_after = DEFAULT_UNKNOWN_AFTER;
	cfg->unknown_limit = DEFAULT_UNKNOWN_LIMIT;
	cfg->unknown_delay_ms = DEFAULT_UNKNOWN_DELAY;
	cfg->domains = calloc((size_t)argc, sizeof(char *));
	cfg->proxy_nets = calloc((size_t)argc, sizeof(struct proxy_net));
	if (cfg->domains == NULL || cfg->proxy_nets == NULL)
		exit(EX_TEMPFAIL);
	parse_options(cfg, argc, argv);
	if (compile_path != NULL)
		compile_table(argc - optind);
	if (lesson_name != NULL)
		lesson = choose_lesson(cfg);
	parse_method(cfg, argc - optind, argv + optind);
	if (cfg->existing_only && cfg->method == METHOD_PIPE)
		usage("-M needs mbox or maildir: a program has no mailboxes");
	cfg->argv0 = argc > 0 ? argv[0] : "smtpd";
	leave_root(cfg->user, cfg->log_stderr, cfg->argv0);
	load_table(cfg);
	from_environment(cfg);
	if (lesson == NULL)
		return;
	/* the coaching goes to stderr, which a network client would read */
	if (cfg->peer != NULL)
		usage("-L is for a terminal or a pipe, not a network client");
	if ((cfg->lesson = lesson_start(lesson, cfg->hint_lang)) == NULL)
		exit(EX_TEMPFAIL);
	cfg->hints = 0;	/* the coaching takes their place */
}

/* Free what options_parse() allocated, at the end of the session. */
void
options_free(struct config *cfg)
{
	rcpt_table_free(cfg->rcpts);
	cfg->rcpts = NULL;
	lesson_free(cfg->lesson);
	cfg->lesson = NULL;
	free(cfg->domains);
	cfg->domains = NULL;
	free(cfg->proxy_nets);
	cfg->proxy_nets = NULL;
}
