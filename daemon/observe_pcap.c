/*
 * observe_pcap.c - learn new client addresses from a libpcap SYN capture,
 * for the backends without a kernel event ring (nft, pf, none) and for
 * systems without eBPF.
 *
 * One capture per configured interface ("any" when interfaces is empty)
 * with a filter for TCP SYNs (without ACK) to the protected ports, IPv4
 * and IPv6, in immediate mode and non-blocking, read from the event loop.
 * Each source address goes to daemon_observe, which ignores addresses
 * already decided or being decided.
 *
 * Opened as root before the privilege drop; the open handles keep
 * working afterwards. Never trusts a captured packet: lengths are checked
 * before every read. <pcap/pcap.h> (with its own BPF header, which
 * clashes with <linux/bpf.h>) is kept to this file, which includes
 * nothing that pulls in <linux/bpf.h>.
 */
#include <pcap/pcap.h>

#include "config.h"
#include "daemon.h"
#include "evloop.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PCAP_MAX_HANDLES 16

/* Link types by number, so the pcap BPF header is not needed. */
#define LT_EN10MB 1
#define LT_RAW 12
#define LT_RAW2 101
#define LT_LINUX_SLL 113
#define LT_LINUX_SLL2 276

/*
 * struct pcap_observer - the captures.
 *   d          the daemon fed with addresses;
 *   h, fd, lt  per capture: handle, selectable fd, link type;
 *   cur        the capture being read (for its link type);
 *   seen       packets handed to daemon_observe.
 */
struct pcap_observer {
	struct daemon *d;
	int n;
	int cur;
	pcap_t *h[PCAP_MAX_HANDLES];
	int fd[PCAP_MAX_HANDLES];
	int lt[PCAP_MAX_HANDLES];
	unsigned long seen;
};

/* pcap_filter_text - the capture filter for the protected ports. */
static void pcap_filter_text(const struct mx_config *cfg, char *buf,
			     size_t len)
{
	char ports[256] = "";
	size_t o = 0;
	int i;

	for (i = 0; i < cfg->smtp_ports.n; i++)
		o += (size_t)snprintf(ports + o, sizeof(ports) - o, "%s%u",
				      i ? " or " : "", cfg->smtp_ports.v[i]);
	snprintf(buf, len, "tcp dst port (%s) and "
		 "((ip and tcp[13] & 0x12 = 2) or "
		 "(ip6 and ip6[6] = 6 and ip6[53] & 0x12 = 2))", ports);
}

/* pcap_l3 - offset of the IP header for link type lt, or -1. */
static int pcap_l3(int lt, const u_char *p, unsigned caplen)
{
	unsigned off, type;

	switch (lt) {
	case LT_RAW:
	case LT_RAW2:
		return 0;
	case LT_LINUX_SLL:
		return caplen >= 16 ? 16 : -1;
	case LT_LINUX_SLL2:
		return caplen >= 20 ? 20 : -1;
	case LT_EN10MB:
		off = 12;
		for (;;) {
			if (caplen < off + 2)
				return -1;
			type = (unsigned)p[off] << 8 | p[off + 1];
			if (type != 0x8100 && type != 0x88a8)
				return (int)off + 2;
			off += 4;
		}
	default:
		return -1;
	}
}

static void pcap_packet(u_char *user, const struct pcap_pkthdr *hdr,
			const u_char *p)
{
	struct pcap_observer *po = (struct pcap_observer *)(void *)user;
	struct mx_addr a;
	unsigned caplen = hdr->caplen;
	int off = pcap_l3(po->lt[po->cur], p, caplen);

	if (off < 0 || caplen < (unsigned)off + 1)
		return;
	memset(&a, 0, sizeof(a));
	switch (p[off] >> 4) {
	case 4:
		if (caplen < (unsigned)off + 20)
			return;
		a.family = AF_INET;
		a.plen = 32;
		memcpy(a.b, p + off + 12, 4);
		break;
	case 6:
		if (caplen < (unsigned)off + 40)
			return;
		a.family = AF_INET6;
		a.plen = 128;
		memcpy(a.b, p + off + 8, 16);
		break;
	default:
		return;
	}
	po->seen++;
	daemon_observe(po->d, &a);
}

static void pcap_ready(int fd, unsigned events, void *arg)
{
	struct pcap_observer *po = arg;
	int i;

	for (i = 0; i < po->n; i++) {
		if (po->fd[i] != fd)
			continue;
		po->cur = i;
		pcap_dispatch(po->h[i], 256, pcap_packet, (u_char *)po);
	}
}

/* pcap_open_one - a capture on ifname with the filter; -1 with err. */
static int pcap_open_one(struct pcap_observer *po, const char *ifname,
			 const char *filter, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	pcap_t *h;

	h = pcap_create(ifname, ebuf);
	if (!h) {
		snprintf(err, errlen, "pcap on %s: %s", ifname, ebuf);
		return -1;
	}
	pcap_set_snaplen(h, 128);
	pcap_set_immediate_mode(h, 1);
	pcap_set_timeout(h, 100);
	if (pcap_activate(h) < 0 ||
	    pcap_compile(h, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(h, &prog) < 0 || pcap_setnonblock(h, 1, ebuf) < 0) {
		snprintf(err, errlen, "pcap on %s: %s", ifname, pcap_geterr(h));
		pcap_close(h);
		return -1;
	}
	pcap_freecode(&prog);
	po->h[po->n] = h;
	po->fd[po->n] = pcap_get_selectable_fd(h);
	po->lt[po->n] = pcap_datalink(h);
	if (po->fd[po->n] < 0 ||
	    evloop_add_fd(daemon_loop(po->d), po->fd[po->n], EV_READ,
			  pcap_ready, po) < 0) {
		snprintf(err, errlen, "pcap on %s: no selectable descriptor",
			 ifname);
		pcap_close(h);
		return -1;
	}
	po->n++;
	return 0;
}

struct pcap_observer *pcap_observer_start(struct daemon *d, char *err,
					  size_t errlen)
{
	const struct mx_config *cfg = daemon_config(d);
	struct pcap_observer *po = calloc(1, sizeof(*po));
	char filter[512];
	int i;

	if (!po) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	po->d = d;
	pcap_filter_text(cfg, filter, sizeof(filter));
	if (cfg->interfaces.n == 0) {
		if (pcap_open_one(po, "any", filter, err, errlen) < 0)
			goto fail;
	}
	for (i = 0; i < cfg->interfaces.n && i < PCAP_MAX_HANDLES; i++)
		if (pcap_open_one(po, cfg->interfaces.v[i], filter, err,
				  errlen) < 0)
			goto fail;
	msg_info("pcap: watching SYNs on %s (%s)",
		 cfg->interfaces.n ? "the configured interfaces" : "any",
		 filter);
	return po;
fail:
	pcap_observer_free(po);
	return NULL;
}

void pcap_observer_free(struct pcap_observer *po)
{
	int i;

	if (!po)
		return;
	for (i = 0; i < po->n; i++) {
		evloop_del_fd(daemon_loop(po->d), po->fd[i]);
		pcap_close(po->h[i]);
	}
	free(po);
}
