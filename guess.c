/* ISC license. */
/*
 * Guesses at what a mistyped command meant, each tried only where one
 * guess fits, so that the reply can show the fix (session.c sends it).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "guess.h"
#include "help.h"

/*
 * An unknown verb line[0..verblen): a typing slip of a real verb (HLEO
 * for HELO), or a real verb with the space after it missing (MAILFROM:,
 * RSETX), else a pointer to HELP.  glued is the offered verb that
 * line's first four letters spell, or NULL.  The reply's argument goes
 * to arg.
 */
enum reply_id
guess_unknown(const char *line, size_t verblen, int lmtp, const char *glued,
    char *arg, size_t size)
{
	const char *guess;

	if ((guess = help_guess_verb(line, verblen, lmtp)) != NULL) {
		/* MAIL and RCPT are never typed without their keyword */
		if (strcmp(guess, "MAIL") == 0)
			guess = "MAIL FROM:";
		else if (strcmp(guess, "RCPT") == 0)
			guess = "RCPT TO:";
		snprintf(arg, size, "%s", guess);
		return R_UNKNOWN_GUESS;
	}
	if (verblen <= 4 || glued == NULL)
		return R_UNKNOWN;
	if (strcasecmp(glued, "MAIL") == 0 &&
	    strncasecmp(line + 4, "FROM", 4) == 0) {
		snprintf(arg, size, "MAIL FROM:");
		return R_UNKNOWN_GUESS;
	}
	if (strcasecmp(glued, "RCPT") == 0 &&
	    strncasecmp(line + 4, "TO", 2) == 0) {
		snprintf(arg, size, "RCPT TO:");
		return R_UNKNOWN_GUESS;
	}
	snprintf(arg, size, "%s", glued);
	return R_UNKNOWN_GLUED;
}

/*
 * MAIL or RCPT without its FROM: or TO:.  If the argument starts with
 * a word one slip from want ("form:", "FROM <a@b>", "TP:"), the typo
 * reply, else the plain syntax reply.
 */
enum reply_id
guess_keyword(const char *arg, const char *want, enum reply_id typo,
    enum reply_id plain)
{
	size_t n = 0;

	while ((arg[n] >= 'a' && arg[n] <= 'z') || (arg[n] >= 'A' &&
	    arg[n] <= 'Z'))
		n++;
	if (n == 0 || !(arg[n] == ':' || arg[n] == ' ' || arg[n] == '<' ||
	    arg[n] == '\0'))
		return plain;
	return help_is_near(arg, n, want) ? typo : plain;
}

/*
 * A path that did not parse, often for a missing or extra < or >: if
 * its first word with exactly one pair of brackets parses, put that in
 * buf as a guess (is_mail as for addr_parse_path).  Returns 0 with a
 * guess, -1 without.
 */
int
guess_path(const char *path, int is_mail, char *buf, size_t size)
{
	struct addr a;
	const char *rest;
	size_t start, end;

	path += strspn(path, " ");
	end = strcspn(path, " ");
	for (start = 0; start < end && path[start] == '<'; start++)
		;
	while (end > start && path[end - 1] == '>')
		end--;
	if (end - start + 3 > size || end - start > ADDR_MAILBOX_MAX)
		return -1;
	snprintf(buf, size, "<%.*s>", (int)(end - start), path + start);
	if (addr_parse_path(buf, is_mail, &a, &rest) != ADDR_OK ||
	    *rest != '\0' || a.utf8 || (is_mail && a.postmaster))
		return -1;
	return 0;
}
