/*
 * pktcraft.c - crafted frames and their pcap files (see pktcraft.h).
 *
 * Kept apart from everything that includes <linux/bpf.h>: libpcap's own
 * bpf.h defines the same names.
 */
#include "pktcraft.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* put16 - a 16-bit value in network order at p. */
static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ip_csum - the Internet checksum of an IPv4 header. */
static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* l4_len - bytes of the transport header built for spec. */
static size_t l4_len(const struct pkt_spec *s)
{
	return s->l4 && s->l4 != IPPROTO_TCP ? 8 : 20;
}

/* put_l4 - the TCP (or UDP-shaped) header at p. */
static void put_l4(const struct pkt_spec *s, uint8_t *p)
{
	put16(p, s->sport ? s->sport : 40000);
	put16(p + 2, s->dport ? s->dport : 25);
	if (l4_len(s) == 8) {
		put16(p + 4, 8);
		return;
	}
	p[4] = 0x11; /* sequence number, any */
	p[12] = 5 << 4;
	p[13] = s->tcp_flags;
	put16(p + 14, 64240);
}

/* ext_len - the length of one IPv6 extension header as built here. */
static size_t ext_len(uint8_t type)
{
	switch (type) {
	case IPPROTO_ROUTING:
	case IPPROTO_AH:
		return 24;
	default:
		return 8;
	}
}

/* put_ext - one IPv6 extension header of type at p, followed by next. */
static void put_ext(const struct pkt_spec *s, uint8_t type, uint8_t next,
		    uint8_t *p)
{
	p[0] = next;
	switch (type) {
	case IPPROTO_ROUTING: /* type 2 (mobility), one address */
		p[1] = 2;
		p[2] = 2;
		p[3] = 1;
		p[23] = 1;
		break;
	case IPPROTO_AH: /* 12-byte ICV: length in 4-byte units less 2 */
		p[1] = 4;
		break;
	case IPPROTO_FRAGMENT:
		put16(p + 2, (unsigned)(s->frag_off << 3) |
				     (s->more_frags ? 1 : 0));
		p[7] = 0x42;
		break;
	default: /* hop-by-hop or destination options: one PadN */
		p[2] = 1;
		p[3] = 4;
		break;
	}
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t len)
{
	uint8_t src[16], dst[16], proto;
	size_t off = 12, ip_off, hlen, total, i;
	int n_ext = s->next < 0 ? 0 : s->next;
	int af = s->family ? s->family : AF_INET;

	if (n_ext > PKT_MAX_EXT || s->vlans < 0 || s->vlans > 2 ||
	    s->ip_opt_words < 0 || s->ip_opt_words > 10)
		return 0;
	if (inet_pton(af, s->src ? s->src : "192.0.2.99", src) != 1 ||
	    inet_pton(af, s->dst ? s->dst :
				   af == AF_INET ? "192.0.2.250" :
						   "2001:db8:ffff::250",
		      dst) != 1)
		return 0;
	proto = s->l4 ? s->l4 : IPPROTO_TCP;
	hlen = af == AF_INET ? 20 + 4 * (size_t)s->ip_opt_words : 40;
	for (i = 0; af == AF_INET6 && i < (size_t)n_ext; i++)
		hlen += ext_len(s->ext[i]);
	total = 14 + 4 * (size_t)s->vlans + hlen + l4_len(s);
	if (total > len || total > PKT_MAX_LEN)
		return 0;
	memset(buf, 0, total);

	memcpy(buf, mac_dst, 6);
	memcpy(buf + 6, mac_src, 6);
	if (s->vlans == 2) {
		put16(buf + off, 0x88a8);
		put16(buf + off + 2, 100);
		off += 4;
	}
	if (s->vlans >= 1) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, 200);
		off += 4;
	}
	put16(buf + off, af == AF_INET ? 0x0800 : 0x86dd);
	ip_off = off + 2;

	if (af == AF_INET) {
		uint8_t *ip = buf + ip_off;

		ip[0] = (uint8_t)((s->ip_version ? s->ip_version : 4) << 4 |
				  (hlen / 4));
		put16(ip + 2, (unsigned)(hlen + l4_len(s)));
		put16(ip + 4, 0x1234);
		put16(ip + 6, s->frag_off | (s->more_frags ? 0x2000 : 0));
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		for (i = 20; i < hlen; i++)
			ip[i] = i + 1 < hlen ? 1 : 0; /* NOPs, then EOL */
		put16(ip + 10, ip_csum(ip, hlen));
	} else {
		uint8_t *ip = buf + ip_off, *p = ip + 40;

		ip[0] = (uint8_t)((s->ip_version ? s->ip_version : 6) << 4);
		put16(ip + 4, (unsigned)(hlen - 40 + l4_len(s)));
		ip[6] = n_ext ? s->ext[0] : proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		for (i = 0; i < (size_t)n_ext; i++) {
			uint8_t next = i + 1 < (size_t)n_ext ? s->ext[i + 1] :
							       proto;

			put_ext(s, s->ext[i], next, p);
			p += ext_len(s->ext[i]);
		}
	}
	put_l4(s, buf + ip_off + hlen);
	if (s->truncate && s->truncate < total)
		total = s->truncate;
	return total;
}

void pkt_set_src(uint8_t *frame, int family, const uint8_t *addr)
{
	if (family == AF_INET)
		memcpy(frame + 14 + 12, addr, 4);
	else
		memcpy(frame + 14 + 8, addr, 16);
}

int pkt_pcap_write(const char *path, const struct pkt_frame *f, int n,
		   char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	struct pcap_pkthdr h;
	int i, r = -1;

	if (!p) {
		snprintf(err, errlen, "pcap_open_dead failed");
		return -1;
	}
	d = pcap_dump_open(p, path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(p));
		goto out;
	}
	memset(&h, 0, sizeof(h));
	for (i = 0; i < n; i++) {
		h.ts.tv_sec = 1700000000;
		h.ts.tv_usec = i;
		h.caplen = h.len = (bpf_u_int32)f[i].len;
		pcap_dump((u_char *)d, &h, f[i].data);
	}
	r = pcap_dump_flush(d) == 0 ? 0 : -1;
	if (r < 0)
		snprintf(err, errlen, "%s: write failed", path);
	pcap_dump_close(d);
out:
	pcap_close(p);
	return r;
}

int pkt_pcap_read(const char *path, struct pkt_frame *f, int max, char *err,
		  size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, ebuf);
	int n = 0;

	if (!p) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		return -1;
	}
	while (n < max && pcap_next_ex(p, &h, &data) == 1) {
		f[n].len = h->caplen < PKT_MAX_LEN ? h->caplen : PKT_MAX_LEN;
		memcpy(f[n].data, data, f[n].len);
		n++;
	}
	pcap_close(p);
	return n;
}
