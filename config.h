/* ISC license. */
/* What the command line decides: filled by smtpd.c, read everywhere. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "tls.h"

struct lesson_run;
struct proxy_net;
struct rcpt_table;

enum method_id {
	METHOD_MBOX,
	METHOD_MAILDIR,
	METHOD_PIPE
};

struct config {
	const char		 *hostname;	/* -n */
	char			**domains;	/* -d, repeatable */
	size_t			  ndomains;
	unsigned long long	  max_size;	/* -s */
	unsigned long		  max_rcpts;	/* -r */
	int			  timeout;	/* -t, seconds */
	int			  pipe_timeout;	/* -T, seconds */
	int			  lmtp;		/* -l */
	int			  interactive;	/* stdin is a terminal */
	int			  hints;	/* stdin, stderr terminals: hints */
	int			  hint_lang;	/* enum hint_lang */
	int			  verbose;	/* -v: a hint after each reply */
	struct lesson_run	 *lesson;	/* -L, or NULL (lesson.c) */
	const char		 *transcript_dir; /* -x */
	const char		 *user;		/* -u */
	const char		 *argv0;	/* as typed, for a learner */
	int			  log_stderr;	/* -e */
	const char		 *rcpt_path;	/* -R, or NULL */
	struct rcpt_table	 *rcpts;	/* -R's, NULL when unreadable */
	int			  rcpts_errno;	/* why it is, at RCPT */
	int			  existing_only; /* -M */
	unsigned		  unknown_after; /* -U: replies delayed */
	unsigned		  unknown_limit; /* -U: 421 */
	unsigned		  unknown_delay_ms; /* -U: the first delay */
	const char		 *peer;		/* client address, NULL if none */
	const char		 *proxy_via;	/* the balancer's, after PROXY */
	struct proxy_net	 *proxy_nets;	/* -P, repeatable */
	size_t			  nproxy_nets;
	struct tls_config	  tls;		/* -W, -I, -S and the wrapper's */
	enum method_id		  method;
	char			**method_argv;	/* PATH, DIR or PROGRAM ARG... */
	int			  method_argc;
};

#endif
