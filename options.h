/* ISC license. */
/* The command line and the environment, into a struct config. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include "config.h"

void	options_parse(struct config *, int, char **);
void	options_free(struct config *);

#endif
