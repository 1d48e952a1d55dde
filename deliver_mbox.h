/* ISC license. */
/* Appending one message to an mbox file (mboxrd), or nothing at all. */
#ifndef DELIVER_MBOX_H
#define DELIVER_MBOX_H

#include "deliver.h"

struct deliver_result deliver_mbox(const char *, const struct envelope *,
	    struct spool *);

#endif
