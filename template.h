/* ISC license. */
/* Expanding the destination templates: %u, %d, %s, %r, %%. */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stddef.h>

#include "addr.h"

/* What %u and %d expand to for one recipient. */
struct template_names {
	char	 local[ADDR_LOCAL_MAX + 1];
	char	 domain[ADDR_DOMAIN_MAX + 1];
};

void	template_names(const struct addr *, const char *,
	    struct template_names *);
int	template_is_safe(const char *);
size_t	template_expand(char *, size_t, const char *,
	    const struct template_names *, const struct addr *,
	    const struct addr *);
char	*template_expand_path(const char *, const struct template_names *);
const char *template_check(const char *, const char *);
int	template_mentions(char **, int, int, int, char);

#endif
