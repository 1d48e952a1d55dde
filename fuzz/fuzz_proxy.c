/* ISC license. */
/*
 * libFuzzer target: proxy_parse() (the PROXY header, versions 1 and 2)
 * and the reader proxy_read() on a descriptor holding the input.
 *
 * Oracles: the parser fed the input in the steps it asks for gives the
 * same answer as fed the input whole up to where it stopped; it never
 * asks for an octet it has or for more than PROXY_MAX; a version 1
 * header it takes is at most 107 octets and ends in CR LF; a client
 * address is non-empty, printable and without a space (it goes into
 * the Received header); the reader never reads past the header, so
 * what follows stays in the descriptor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"
#include "fuzz_util.h"

static char	*in_path;

static void	check_header(const uint8_t *, size_t, enum proxy_result,
		    const struct proxy_header *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	in_path = fuzz_path("in");
	return 0;
}

static void
check_header(const uint8_t *data, size_t len, enum proxy_result r,
    const struct proxy_header *h)
{
	const char *p;

	if (r == PROXY_BAD && h->why == NULL)
		fuzz_fail("refused without a reason");
	if (r != PROXY_CLIENT && r != PROXY_LOCAL)
		return;
	if (h->version == 1 && (len > PROXY_V1_MAX || len < 2 ||
	    data[len - 2] != '\r' || data[len - 1] != '\n'))
		fuzz_fail("version 1 header of %zu octets taken", len);
	if (r == PROXY_LOCAL)
		return;
	if (h->client[0] == '\0')
		fuzz_fail("empty client address");
	for (p = h->client; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 127)
			fuzz_fail("client address with octet 0x%02x",
			    (unsigned)(unsigned char)*p);
	if (h->port > 65535)
		fuzz_fail("port %u", h->port);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h, whole;
	enum proxy_result r, rw;
	size_t len = 0, need = 0, used;
	char rest[16];
	int fd;
	ssize_t n;

	while ((r = proxy_parse(data, len, &need, &h)) == PROXY_MORE) {
		if (need <= len || need > PROXY_MAX)
			fuzz_fail("asks for %zu octets holding %zu", need, len);
		if (need > size)
			break;
		len = need;
	}
	used = len;
	rw = proxy_parse(data, used, &need, &whole);
	if (rw != r)
		fuzz_fail("stepwise %d, whole %d", r, rw);
	check_header(data, used, r, &h);
	if (r == PROXY_CLIENT && strcmp(h.client, whole.client) != 0)
		fuzz_fail("stepwise and whole disagree on the client");

	/* the reader: same answer, and the rest is left unread */
	if ((fd = fuzz_fd_from_bytes(in_path, data, size)) == -1)
		return 0;
	rw = proxy_read(fd, 1, &whole);
	if (r == PROXY_MORE)
		r = PROXY_BAD;	/* the input ended inside the header */
	if (rw != r)
		fuzz_fail("reader %d, parser %d", rw, r);
	if (r != PROXY_BAD && used < size) {
		n = read(fd, rest, 1);
		if (n != 1 || rest[0] != (char)data[used])
			fuzz_fail("the reader took more than the header");
	}
	close(fd);
	return 0;
}
