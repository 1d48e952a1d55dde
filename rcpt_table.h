/* ISC license. */
/*
 * The recipient table (-R FILE, smtpd.8: RECIPIENT TABLE): which
 * recipients exist, and the aliases among them.  Read once per
 * session, before the greeting; looked up at each RCPT.
 */
#ifndef RCPT_TABLE_H
#define RCPT_TABLE_H

#include <stddef.h>

#include "addr.h"

struct rcpt_table;

/* What a lookup found: nothing, the recipient itself, or an alias. */
enum rcpt_found {
	RCPT_UNKNOWN,
	RCPT_KNOWN,	/* delivered to its own mailbox */
	RCPT_ALIAS,	/* delivered to the target's mailbox */
	RCPT_FAILED	/* a compiled table could not be read */
};

/*
 * Load the text form, or the compiled form when the name ends in
 * ".cdb": NULL with *err set to an errno when the file cannot be read,
 * or with why[] holding "FILE:LINE: reason" (and *err 0) when a line
 * is wrong.
 */
struct rcpt_table *rcpt_table_load(const char *, int *, char *, size_t);
void	rcpt_table_free(struct rcpt_table *);
/*
 * smtpd -C: check the text table and write it compiled, as FILE.cdb;
 * -1 with *err or why[] as for a load.
 */
int	rcpt_table_compile(const char *, int *, char *, size_t);
size_t	rcpt_table_size(const struct rcpt_table *);
/*
 * Look up local@domain, both as the table keeps them (folded to lower
 * case); for an alias, its target's local part and domain are copied
 * out.
 */
enum rcpt_found rcpt_table_find(const struct rcpt_table *, const char *,
	    const char *, char [ADDR_LOCAL_MAX + 1],
	    char [ADDR_DOMAIN_MAX + 1]);

#endif
