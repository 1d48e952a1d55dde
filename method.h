/* ISC license. */
/*
 * What every delivery method shares: the envelope it delivers, the
 * outcome it reports, and struct method, the table of operations each
 * method file implements (deliver_mbox.c, deliver_maildir.c,
 * deliver_pipe.c; OpenSMTPD's mda and queue backends share a shape the
 * same way).  deliver.c picks one table and calls through it; a method
 * never sees the session, and this header depends on no caller.
 */
#ifndef METHOD_H
#define METHOD_H

#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "reply.h"
#include "spool.h"

/* Octets of a delivery program's own words that a reply may carry. */
#define METHOD_DEST_MAX	4096	/* octets of an expanded path or argument */
#define METHOD_ARGS_MAX	64	/* of a pipe program, itself included */
#define METHOD_DETAIL_MAX	120

struct envelope {
	const struct addr	*sender;
	const struct addr	*rcpts;
	size_t			 nrcpts;
	const char		*id;
	time_t			 when;
};

/* Every fallible step ends OK, temporary or permanent (STYLE.md 4). */
enum deliver_status {
	DELIVER_OK,
	DELIVER_TEMP,
	DELIVER_PERM
};

struct deliver_result {
	enum deliver_status	 status;
	enum reply_id		 reply;
	char			 detail[160];	/* for the reply's "%s" */
	char			 why[200];	/* a failure as the log has
						 * it, for a learner; or "" */
};

/*
 * One copy for a method to write.  The caller owns every buffer: a
 * method keeps no pointer into this after write() returns.
 */
struct method_copy {
	const struct envelope	*env;
	struct spool		*sp;
	char *const		*argv;	/* [0] the mbox, Maildir or program,
					 * expanded; then a program's
					 * arguments; NULL-terminated */
	const struct addr	*rcpt;	/* its first recipient, as given */
	const struct addr	*full;	/* the same, a bare <postmaster>
					 * qualified with the host name */
	const char		*peer;	/* the client's address (the PROXY
					 * header's source under -P), NULL:
					 * stdin */
	int			 timeout_s;	/* a program's run, 0: none */
	void			*spill;	/* the method's spill state when this
					 * copy is the first recipient's
					 * (spill_size octets), else NULL */
	void			*keep;	/* kept between messages (keep_size
					 * octets), NULL: keep nothing */
	char			*buf;	/* scratch, bufsize octets (the
					 * method asks for buf_size) */
	size_t			 bufsize;
};

/*
 * The table every method implements.  A copy is written and held
 * (write), then either taken back (undo) or let go (done), which may
 * keep the mailbox in *keep for the next message of the session until
 * release.  After a failed write the copy holds nothing, and undo and
 * done are no-ops on it.  State: deliver.c allocates tx_size octets per
 * copy, and the session's deliver_ctx keep_size octets, zeroed, for
 * what stays between messages.
 */
struct method {
	const char	*name;
	int		 one_rcpt;	/* in SMTP, one recipient per
					 * transaction: a copy cannot be
					 * taken back (smtpd.8: All or
					 * nothing) */
	int		 per_rcpt;	/* one copy per distinct recipient
					 * (%u@%d), not per destination: the
					 * program is told whom it is for */
	size_t		 tx_size;
	size_t		 keep_size;	/* 0: nothing is kept */
	size_t		 buf_size;
	/*
	 * Written once (may be NULL): when the spool outgrows memory,
	 * spill_open makes the file that the first recipient's copy will
	 * be, writes what the method puts before the message, and returns
	 * it open for writing at that point (-1: none, the spool uses its
	 * own file).  write() then publishes that file instead of copying
	 * the spool.  spill_drop lets go of it, removing it unless
	 * published.  State: spill_size octets in the session's
	 * deliver_ctx, for one message.
	 */
	size_t		 spill_size;
	int		 (*spill_open)(const struct method_copy *, void *);
	void		 (*spill_drop)(void *);
	/* the configured destination (argv[0]), before any session: NULL
	 * when fine, else why not (for usage()); may be NULL */
	const char	*(*check_config)(const char *);
	/* a name the method makes for itself (mbox: PATH.lock), which no
	 * mailbox may have; may be NULL */
	int		 (*is_reserved)(const char *);
	/* at RCPT time, an expanded destination: R_NONE when it is fine
	 * or missing (made at delivery); NULL for a program */
	enum reply_id	 (*check_rcpt)(const char *);
	struct deliver_result (*write)(const struct method_copy *, void *);
	void		 (*undo)(void *);	/* tx; NULL: it cannot */
	void		 (*done)(void *, void *);	/* tx, keep; or NULL */
	void		 (*release)(void *);	/* keep; or NULL */
	/* keep, at the session's end: release, and close what stays
	 * open across waits (mbox: its directory); or NULL */
	void		 (*close)(void *);
};

extern const struct method method_mbox;
extern const struct method method_maildir;
extern const struct method method_pipe;

const struct method *method_for(const struct config *);
struct deliver_result method_outcome(enum deliver_status, enum reply_id);
struct deliver_result method_outcome_errno(int);
enum reply_id method_check_kind(const char *, int);

#endif
