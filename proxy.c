/* ISC license. */
/*
 * The PROXY protocol header (HAProxy's proxy-protocol.txt), read before
 * the greeting from a source named with -P.  Both versions are told
 * apart by the first octet: 'P' starts "PROXY " (version 1, one text
 * line of at most 107 octets), CR starts the twelve-octet binary
 * signature of version 2.
 *
 * The reader takes exactly the header's octets from the descriptor and
 * not one more: version 1 one octet at a time up to its LF, version 2
 * its 16 fixed octets and then the length they announce.  Whatever the
 * client sent after the header stays in the descriptor for linebuf.c,
 * so a client that pipelines its EHLO behind the header loses nothing.
 *
 * A header that is wrong in any way closes the connection with nothing
 * sent: the balancer is misconfigured or the source is not one, and an
 * SMTP reply would only teach a stranger what we expect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

/* proxy-protocol.txt 2.2: the version 2 signature */
static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char v1_sig[] = "PROXY ";

static enum proxy_result parse_v1(const unsigned char *, size_t, size_t *,
		    struct proxy_header *);
static enum proxy_result parse_v2(const unsigned char *, size_t, size_t *,
		    struct proxy_header *);
static int	port_number(const char *, unsigned *);
static void	show(char *, int, const unsigned char *);
static enum proxy_result bad(struct proxy_header *, const char *);
static int	address_of(const char *, int *, unsigned char *);

static enum proxy_result
bad(struct proxy_header *h, const char *why)
{
	h->why = why;
	return PROXY_BAD;
}

/*
 * One address as text for the Received header and the log: IPv4
 * dotted, IPv6 as RFC 5321 4.1.3 writes it in an address literal
 * ("IPv6:..."), and an IPv4 client on a dual-stack socket, which
 * arrives as ::ffff:a.b.c.d (RFC 4291 2.5.5.2), as the IPv4 address it
 * is.  options.c shows the socket's peer with it too.  0 when family
 * is neither.
 */
int
proxy_address_text(char *buf, size_t size, int family, const void *bin)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };
	const unsigned char *b = bin;
	char text[INET6_ADDRSTRLEN];

	if (family == AF_INET6 && memcmp(b, v4mapped, 12) == 0) {
		family = AF_INET;
		b += 12;
	}
	if (inet_ntop(family, b, text, sizeof(text)) == NULL)
		return 0;
	snprintf(buf, size, "%s%s", family == AF_INET6 ? "IPv6:" : "", text);
	return 1;
}

/* An address of the header, as proxy_address_text() shows it. */
static void
show(char *buf, int family, const unsigned char *bin)
{
	if (!proxy_address_text(buf, PROXY_ADDR_MAX, family, bin))
		buf[0] = '\0';
}

/* A port as version 1 writes it: 0 to 65535, no leading zero. */
static int
port_number(const char *s, unsigned *port)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 5; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] != '\0' || (s[0] == '0' && i > 1) || v > 65535)
		return 0;
	*port = (unsigned)v;
	return 1;
}

/*
 * Version 1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n", single spaces,
 * or "PROXY UNKNOWN" and anything up to CR LF.
 */
static enum proxy_result
parse_v1(const unsigned char *buf, size_t len, size_t *need,
    struct proxy_header *h)
{
	char line[PROXY_V1_MAX + 1], *field[6], *p;
	unsigned char src[16], dst[16];
	unsigned dport;
	size_t i, n = 0;
	int family;

	h->version = 1;
	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			break;
	if (i == len) {
		if (len >= PROXY_V1_MAX)
			return bad(h, "version 1 line too long");
		*need = len + 1;	/* one octet at a time: no further */
		return PROXY_MORE;
	}
	if (i + 1 != len)
		return bad(h, "octets after the version 1 line");
	if (i == 0 || buf[i - 1] != '\r')
		return bad(h, "version 1 line without CR LF");
	memcpy(line, buf, i - 1);
	line[i - 1] = '\0';
	if (strncmp(line, "PROXY UNKNOWN", 13) == 0 &&
	    (line[13] == '\0' || line[13] == ' '))
		return PROXY_LOCAL;
	for (p = line; *p != '\0'; p++)
		if (*p < 0x21 && *p != ' ')
			return bad(h, "control octet in the version 1 line");
	for (p = line; n < 6; n++) {
		field[n] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 5 || p != NULL)
		return bad(h, "version 1 line needs six fields");
	if (strcmp(field[1], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(field[1], "TCP6") == 0)
		family = AF_INET6;
	else
		return bad(h, "unknown version 1 protocol");
	if (inet_pton(family, field[2], src) != 1 ||
	    inet_pton(family, field[3], dst) != 1)
		return bad(h, "bad version 1 address");
	if (!port_number(field[4], &h->port) || !port_number(field[5], &dport))
		return bad(h, "bad version 1 port");
	show(h->client, family, src);
	return PROXY_CLIENT;
}

/*
 * Version 2: the signature, version and command, family and transport,
 * a length in network order, then addresses and TLVs (ignored).
 */
static enum proxy_result
parse_v2(const unsigned char *buf, size_t len, size_t *need,
    struct proxy_header *h)
{
	size_t n = len < sizeof(v2_sig) ? len : sizeof(v2_sig);
	size_t body;
	unsigned family, transport;

	h->version = 2;
	if (memcmp(buf, v2_sig, n) != 0)
		return bad(h, "not a PROXY header");
	if (len < PROXY_V2_HEAD) {
		*need = PROXY_V2_HEAD;
		return PROXY_MORE;
	}
	if (buf[12] >> 4 != 2)
		return bad(h, "unknown version 2 version");
	if ((buf[12] & 0x0f) > 1)
		return bad(h, "unknown version 2 command");
	body = (size_t)buf[14] << 8 | buf[15];
	if (body > PROXY_V2_LEN_MAX)
		return bad(h, "version 2 header too long");
	family = buf[13] >> 4;
	transport = buf[13] & 0x0f;
	if (family > 3 || transport > 2)
		return bad(h, "unknown version 2 family");
	if (len < PROXY_V2_HEAD + body) {
		*need = PROXY_V2_HEAD + body;
		return PROXY_MORE;
	}
	if (len > PROXY_V2_HEAD + body)
		return bad(h, "octets after the version 2 header");
	/* LOCAL: the balancer's own connection, a health check; UNSPEC:
	 * the balancer does not know the client.  Both: no client. */
	if ((buf[12] & 0x0f) == 0 || family == 0)
		return PROXY_LOCAL;
	if (family == 3)
		return bad(h, "version 2 AF_UNIX is not a client address");
	if (transport != 1)
		return bad(h, "version 2 transport is not a stream");
	if (family == 1) {
		if (body < 12)
			return bad(h, "version 2 IPv4 addresses truncated");
		h->port = (unsigned)buf[PROXY_V2_HEAD + 8] << 8 |
		    buf[PROXY_V2_HEAD + 9];
		show(h->client, AF_INET, buf + PROXY_V2_HEAD);
	} else {
		if (body < 36)
			return bad(h, "version 2 IPv6 addresses truncated");
		h->port = (unsigned)buf[PROXY_V2_HEAD + 32] << 8 |
		    buf[PROXY_V2_HEAD + 33];
		show(h->client, AF_INET6, buf + PROXY_V2_HEAD);
	}
	return PROXY_CLIENT;
}

/*
 * Parse buf[0..len), the first octets the source sent.  PROXY_MORE
 * sets *need to how many octets in all the parser wants next; reading
 * no more than that never reads past the header.
 */
enum proxy_result
proxy_parse(const unsigned char *buf, size_t len, size_t *need,
    struct proxy_header *h)
{
	size_t n = len < sizeof(v1_sig) - 1 ? len : sizeof(v1_sig) - 1;

	memset(h, 0, sizeof(*h));
	if (len == 0) {
		*need = 1;
		return PROXY_MORE;
	}
	if (buf[0] == 'P') {
		h->version = 1;
		if (memcmp(buf, v1_sig, n) != 0)
			return bad(h, "not a PROXY header");
		return parse_v1(buf, len, need, h);
	}
	if (buf[0] == v2_sig[0])
		return parse_v2(buf, len, need, h);
	return bad(h, "not a PROXY header");
}

/*
 * Read the header from fd, all of it within timeout_s seconds, never
 * an octet beyond it.  End of input, a read error or the timeout is
 * PROXY_BAD with h->why saying which.
 */
enum proxy_result
proxy_read(int fd, int timeout_s, struct proxy_header *h)
{
	static unsigned char buf[PROXY_MAX];
	long long deadline = util_now_ms() + (long long)timeout_s * 1000;
	enum proxy_result r;
	size_t len = 0, need;
	ssize_t n;
	int ready;

	while ((r = proxy_parse(buf, len, &need, h)) == PROXY_MORE) {
		if ((ready = util_wait_readable(fd, deadline)) == 0)
			return bad(h, "timeout");
		if (ready == -1)
			return bad(h, "poll failed");
		n = read(fd, buf + len, need - len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return bad(h, "read failed");
		if (n == 0)
			return bad(h, len == 0 ? "closed before the header" :
			    "header truncated");
		len += (size_t)n;
	}
	return r;
}

/* An address in either family; 1 when it is one. */
static int
address_of(const char *s, int *family, unsigned char *bin)
{
	if (strncmp(s, "IPv6:", 5) == 0)
		s += 5;
	if (inet_pton(AF_INET, s, bin) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, bin) == 1)
		*family = AF_INET6;
	else
		return 0;
	return 1;
}

/* -P ADDR[/LEN]: 0 when it is not one. */
int
proxy_net_parse(const char *arg, struct proxy_net *net)
{
	char text[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long bits;
	unsigned max;

	if (util_strlcpy(text, arg, sizeof(text)) == -1)
		return 0;
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	if (!address_of(text, &net->family, net->addr))
		return 0;
	max = net->family == AF_INET ? 32 : 128;
	net->prefix = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return 0;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || errno != 0 || bits > max)
			return 0;
		net->prefix = (unsigned)bits;
	}
	return 1;
}

/* Whether peer (as options.c writes it) is inside one of nets. */
int
proxy_trusted(const struct proxy_net *nets, size_t n, const char *peer)
{
	unsigned char bin[16];
	unsigned full, rest;
	int family;
	size_t i;

	if (peer == NULL || !address_of(peer, &family, bin))
		return 0;
	for (i = 0; i < n; i++) {
		if (nets[i].family != family)
			continue;
		full = nets[i].prefix / 8;
		rest = nets[i].prefix % 8;
		if (memcmp(bin, nets[i].addr, full) != 0)
			continue;
		if (rest != 0 && ((bin[full] ^ nets[i].addr[full]) &
		    (0xff << (8 - rest)) & 0xff) != 0)
			continue;
		return 1;
	}
	return 0;
}

/*
 * Before the greeting: from a -P source, read its header and make the
 * client it names the peer, keeping the balancer's address for the
 * log.  Returns 0 when the session must end with nothing sent, after
 * one log line saying why.
 */
int
proxy_accept(struct config *cfg, int fd)
{
	static char client[PROXY_ADDR_MAX];
	struct proxy_header h;
	int timeout = cfg->timeout < PROXY_TIMEOUT_S ? cfg->timeout :
	    PROXY_TIMEOUT_S;

	if (cfg->nproxy_nets == 0 ||
	    !proxy_trusted(cfg->proxy_nets, cfg->nproxy_nets, cfg->peer))
		return 1;
	switch (proxy_read(fd, timeout, &h)) {
	case PROXY_CLIENT:
		util_strlcpy(client, h.client, sizeof(client));
		cfg->proxy_via = cfg->peer;
		cfg->peer = client;
		log_info("connection from %s port %u via PROXY v%d from %s",
		    cfg->peer, h.port, h.version, cfg->proxy_via);
		return 1;
	case PROXY_LOCAL:
		/* the balancer's own connection (a health check): it
		 * stays the peer, as proxy-protocol.txt 2.2 says */
		cfg->proxy_via = cfg->peer;
		log_info("connection from %s: PROXY v%d without a client "
		    "address", cfg->peer, h.version);
		return 1;
	default:
		log_warnx("PROXY header from %s refused: %s; closing with "
		    "nothing sent", cfg->peer, h.why != NULL ? h.why :
		    "malformed");
		return 0;
	}
}
