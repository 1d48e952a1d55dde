/* ISC license. */
/*
 * One mail transaction (RFC 5321 3.3): the sender, the recipients and
 * the id, from MAIL to the end of DATA, RSET or an abort.
 */
#ifndef TXN_H
#define TXN_H

#include <stddef.h>
#include <sys/types.h>

#include "addr.h"

struct txn {
	struct addr		 sender;
	struct addr		*rcpts;
	size_t			 nrcpts, rcpts_cap;
	int			 smtputf8;	/* MAIL ... SMTPUTF8 */
	char			 id[32];
};

void	txn_clear(struct txn *);
void	txn_free(struct txn *);
int	txn_has_rcpt(const struct txn *, const struct addr *);
int	txn_add_rcpt(struct txn *, const struct addr *, int);
void	txn_log(const struct txn *, unsigned long long, const char *);

#endif
