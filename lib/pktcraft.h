/*
 * pktcraft.h - build Ethernet frames carrying TCP (or UDP) over IPv4 or
 * IPv6, with VLAN tags, IPv4 options, IPv6 extension headers, fragments
 * and truncation, and store or load them as pcap files through libpcap.
 *
 * For the kernel program's tests (tests/unit/test_bpf.c), its benchmark
 * (bench/bench_bpf.c) and anything else that must feed known frames to a
 * parser. Builds bytes only: never sends anything, never allocates
 * except inside the pcap helpers.
 */
#ifndef MXWALL_PKTCRAFT_H
#define MXWALL_PKTCRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP flag bits (struct pkt_spec.tcp_flags). */
#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_ACK 0x10

#define PKT_MAX_EXT 12 /* IPv6 extension headers in one frame */
#define PKT_MAX_LEN 1600

/*
 * struct pkt_spec - one frame to build (zero fields take defaults).
 *   family       AF_INET or AF_INET6;
 *   src, dst     addresses as text (dst defaults to 192.0.2.250 or
 *                2001:db8:ffff::250);
 *   sport, dport ports (dport 0 means 25);
 *   tcp_flags    PKT_* bits;
 *   l4           IPPROTO_TCP (0 means TCP) or another protocol number,
 *                which gets an 8-byte UDP-shaped header;
 *   vlans        VLAN tags before the IP header: 0, 1 or 2 (802.1ad
 *                outer, 802.1Q inner);
 *   ip_opt_words IPv4 options, in 4-byte words (0..10; NOPs + EOL);
 *   ext, next    IPv6 extension headers in order (IPPROTO_HOPOPTS,
 *                _ROUTING, _DSTOPTS, _FRAGMENT, _AH), next of them;
 *   frag_off     fragment offset in 8-byte units (IPv4 header, or the
 *                IPv6 fragment header, which must be in ext);
 *   more_frags   set the more-fragments bit;
 *   ip_version   override the version field (0: the right one);
 *   truncate     cut the frame to this many bytes (0: keep it whole).
 */
struct pkt_spec {
	int family;
	const char *src;
	const char *dst;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t l4;
	int vlans;
	int ip_opt_words;
	uint8_t ext[PKT_MAX_EXT];
	int next;
	uint16_t frag_off;
	bool more_frags;
	uint8_t ip_version;
	size_t truncate;
};

/* pkt_build - the frame into buf; its length, or 0 if spec is bad. */
size_t pkt_build(const struct pkt_spec *spec, uint8_t *buf, size_t len);

/*
 * pkt_set_src - overwrite the source address of a frame built from an
 * untagged spec without options or extension headers (benchmarks).
 */
void pkt_set_src(uint8_t *frame, int family, const uint8_t *addr);

/* struct pkt_frame - one stored frame. */
struct pkt_frame {
	uint8_t data[PKT_MAX_LEN];
	size_t len;
};

/*
 * pkt_pcap_write - frames into a pcap file (link type Ethernet).
 * pkt_pcap_read - at most max frames from one; the count, or -1.
 * Both write a diagnostic into err on failure.
 */
int pkt_pcap_write(const char *path, const struct pkt_frame *f, int n,
		   char *err, size_t errlen);
int pkt_pcap_read(const char *path, struct pkt_frame *f, int max, char *err,
		  size_t errlen);

#endif
