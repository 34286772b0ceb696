/*
 * fake_dns.h - a DNS server inside a unit suite: one UDP socket on
 * loopback that answers every query NXDOMAIN at once and notes the
 * query names in the order they arrived, so a suite can see in which
 * order its resolver sent them (fake_dns_order).
 *
 * The functions are static: the header is for one test file at a time.
 * Never blocks: fake_dns_serve takes what has arrived and returns.
 */
#ifndef MXWALL_FAKE_DNS_H
#define MXWALL_FAKE_DNS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FAKE_DNS_MAX 64

/*
 * struct fake_dns - the server.
 *   fd, port   its socket on 127.0.0.1 and the port it got;
 *   servers    "127.0.0.1:port", for dns_servers;
 *   n, names   queries answered so far and their names, in order.
 */
struct fake_dns {
	int fd;
	int port;
	char servers[32];
	int n;
	char names[FAKE_DNS_MAX][64];
};

/* fake_dns_open - a server on a free port of 127.0.0.1; 0 or -1. */
static int fake_dns_open(struct fake_dns *f)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (f->fd < 0)
		return -1;
	if (bind(f->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(f->fd, (struct sockaddr *)&sin, &len) < 0) {
		close(f->fd);
		return -1;
	}
	f->port = ntohs(sin.sin_port);
	snprintf(f->servers, sizeof(f->servers), "127.0.0.1:%d", f->port);
	return 0;
}

/* fake_dns_qname - the question's name as text; length of the query. */
static int fake_dns_qname(const unsigned char *q, int n, char *name,
			  size_t len)
{
	size_t o = 0;
	int p = 12;

	while (p < n && q[p] != 0) {
		int l = q[p++];

		if (p + l > n || o + (size_t)l + 2 > len)
			return -1;
		if (o)
			name[o++] = '.';
		memcpy(name + o, q + p, (size_t)l);
		o += (size_t)l;
		p += l;
	}
	name[o] = 0;
	return p + 5 <= n ? p + 5 : -1; /* the root label, type, class */
}

/* fake_dns_serve - answer every query that has arrived: NXDOMAIN. */
static void fake_dns_serve(struct fake_dns *f)
{
	unsigned char b[512];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t got;
	int end;

	while ((got = recvfrom(f->fd, b, sizeof(b), MSG_DONTWAIT,
			       (struct sockaddr *)&from, &flen)) >= 12) {
		end = fake_dns_qname(b, (int)got, f->names[f->n],
				     sizeof(f->names[0]));
		if (end < 0)
			continue;
		if (f->n < FAKE_DNS_MAX - 1)
			f->n++;
		b[2] = 0x80 | (b[2] & 0x01); /* response, RD as asked */
		b[3] = 0x80 | 3;             /* RA, NXDOMAIN */
		memset(b + 6, 0, 6);         /* no answer, authority, extra */
		sendto(f->fd, b, (size_t)end, 0, (struct sockaddr *)&from,
		       flen);
		flen = sizeof(from);
	}
}

/* fake_dns_order - the first labels of the names seen, space-separated. */
static const char *fake_dns_order(const struct fake_dns *f, char *out,
				  size_t len)
{
	size_t o = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < f->n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%.*s", i ? " " : "",
				      (int)strcspn(f->names[i], "."),
				      f->names[i]);
	return out;
}

static void fake_dns_close(struct fake_dns *f)
{
	close(f->fd);
}

#endif
