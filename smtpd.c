/* ISC license. */
/*
 * smtpd: an SMTP server for one connection on stdin and stdout, as
 * inetd, xinetd, tcpserver or a systemd socket (Accept=yes) start it.
 * main() alone: options.c reads the command line and the environment,
 * session.c runs the session; everything else links into the tests.
 */
#include <signal.h>
#include <stdlib.h>

#include "config.h"
#include "linebuf.h"
#include "options.h"
#include "log.h"
#include "proxy.h"
#include "session.h"

int
main(int argc, char **argv)
{
	struct config cfg;
	int status;

	options_parse(&cfg, argc, argv);
	/* a vanished client is an EPIPE; a file size limit is an EFBIG */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	/* SIGTERM: finish what is under way, then 421 4.3.2 and exit */
	(void)linebuf_stop_on(SIGTERM);
	log_open(cfg.log_stderr);
	/* from a -P source, its PROXY header first (proxy.c) */
	if (!proxy_accept(&cfg, 0))
		status = 0;
	else {
		if (cfg.proxy_via == NULL)
			log_info("connection from %s", cfg.peer != NULL ?
			    cfg.peer : "stdin");
		status = session_run(&cfg, 0, 1);
	}
	options_free(&cfg);
	return status;
}
