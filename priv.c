/* ISC license. */
/*
 * Leaving root.  A session never runs as root: started as root, smtpd
 * must be told (-u USER) whom to become, and becomes that user for good
 * before it reads the first command, as dma and OpenSMTPD's helpers do.
 */
/* setgroups() is not POSIX; glibc and the BSDs declare it with this */
#define _DEFAULT_SOURCE

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "priv.h"
#include "util.h"

static char	why[160];

/* A step of the switch failed: the system's fault, worth a retry. */
static const char *
failed(const char *what, const char *user, int *status)
{
	snprintf(why, sizeof(why), "cannot %s for user %s", what, user);
	*status = EX_TEMPFAIL;
	return why;
}

/*
 * Become USER: group first, then the supplementary groups, then the
 * user id, since after setuid() the process may no longer change its
 * groups.  The supplementary groups are USER's group alone, as
 * daemontools' and s6's setuidgid leave them: asking the group
 * database (initgroups) costs every session the NSS modules it loads,
 * on Debian libnss_systemd and its libraries, half again the cost of
 * a whole session, and a mail store is reached through the user's own
 * group.  Then make sure the way back is closed: setuid(0) must fail.
 * Returns NULL on success, else a one-line reason with *status the
 * exit status: EX_USAGE when the command line is wrong.  Not root and
 * USER is who we already are: nothing to do, so the same command line
 * works under a launcher that has already switched users.
 */
const char *
priv_drop(const char *user, int *status)
{
	struct passwd *pw;

	*status = EX_USAGE;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(why, sizeof(why), "-u %s: no such user", user);
		return why;
	}
	if (pw->pw_uid == 0) {
		snprintf(why, sizeof(why), "-u %s: refusing to run as root",
		    user);
		return why;
	}
	if (geteuid() != 0) {
		if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
			return NULL;
		snprintf(why, sizeof(why), "-u %s: only root can switch "
		    "users", user);
		return why;
	}
	if (setgid(pw->pw_gid) == -1)
		return failed("setgid", user, status);
	if (setgroups(1, &pw->pw_gid) == -1)
		return failed("setgroups", user, status);
	if (setuid(pw->pw_uid) == -1)
		return failed("setuid", user, status);
	if (setuid(0) != -1 || getuid() != pw->pw_uid ||
	    geteuid() != pw->pw_uid || getgid() != pw->pw_gid ||
	    getegid() != pw->pw_gid)
		return failed("drop privileges", user, status);
	return NULL;
}
