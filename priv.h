/* ISC license. */
/* Leaving root for good before the first byte from a client is read. */
#ifndef PRIV_H
#define PRIV_H

const char	*priv_drop(const char *, int *);

#endif
