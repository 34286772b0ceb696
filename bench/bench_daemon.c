/*
 * bench_daemon.c - helpers for bench/daemon.sh, which measures mxwalld
 * end to end (figures printed, nothing asserted).
 *
 *   bench_daemon snapshot FILE N
 *       write a snapshot of N block verdicts (10.0.0.0/8 upward, 8
 *       distinct reasons, one hour to live) in the documented format;
 *   bench_daemon syn IFNAME DSTMAC DSTIP N
 *       send N TCP SYNs to DSTIP:25 from N distinct sources
 *       (100.64.0.0 upward) as raw frames on IFNAME (AF_PACKET), in
 *       bursts, and print how long the sending took;
 *   bench_daemon wait SOCKET N SECONDS
 *       poll the daemon's status until it holds N blocked verdicts, none
 *       arrived for 8 s (DNS retries), or SECONDS pass; print how many
 *       arrived and the rate up to the last one.
 *
 * Only for the lab the benchmark builds: frames go to an interface in a
 * namespace it created.
 */
#include "ctlproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_snapshot - N verdicts into a snapshot file. */
static int bench_snapshot(const char *path, long n)
{
	FILE *fp = fopen(path, "w");
	long t = (long)time(NULL), i;

	if (!fp) {
		perror(path);
		return 1;
	}
	fprintf(fp, "# mxwall verdicts v1\n");
	for (i = 0; i < n; i++) {
		uint32_t a = 0x0a000000u + (uint32_t)i;

		fprintf(fp, "%u.%u.%u.%u block dnsbl 1 %ld %ld reason=dnsbl "
			"list=bl%ld.example reply=127.0.0.2 score=1\n",
			a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, t,
			t + 3600, i % 8);
	}
	return fclose(fp) == 0 ? 0 : 1;
}

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* bench_syn - N SYN frames from distinct sources on ifname. */
static int bench_syn(const char *ifname, const char *mac, const char *dst,
		     long n)
{
	uint8_t f[14 + 20 + 20], pseudo[12 + 20];
	struct sockaddr_ll sll;
	unsigned m[6];
	struct in_addr d;
	double t0;
	long i, sent = 0;
	int fd, k;

	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5]) != 6 || inet_pton(AF_INET, dst, &d) != 1) {
		fprintf(stderr, "bench_daemon: bad MAC or address\n");
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	if (fd < 0) {
		perror("AF_PACKET");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	for (k = 0; k < 6; k++)
		sll.sll_addr[k] = (uint8_t)m[k];

	memset(f, 0, sizeof(f));
	for (k = 0; k < 6; k++)
		f[k] = (uint8_t)m[k];
	f[6] = 0x02; /* a locally administered source MAC */
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = 40;
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 30, &d, 4);
	f[34 + 2] = 0;
	f[34 + 3] = 25;
	f[34 + 12] = 0x50;
	f[34 + 13] = 0x02; /* SYN */
	f[34 + 14] = 0xff;
	f[34 + 15] = 0xff;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		uint32_t s = htonl(0x64400000u + (uint32_t)i);
		uint16_t c;

		memcpy(f + 26, &s, 4);
		f[24] = f[25] = 0;
		c = csum(f + 14, 20, 0);
		f[24] = (uint8_t)(c >> 8);
		f[25] = (uint8_t)c;
		f[34] = (uint8_t)((1024 + i % 50000) >> 8);
		f[35] = (uint8_t)((1024 + i % 50000) & 255);
		f[34 + 16] = f[34 + 17] = 0;
		memcpy(pseudo, f + 26, 8);
		pseudo[8] = 0;
		pseudo[9] = 6;
		pseudo[10] = 0;
		pseudo[11] = 20;
		memcpy(pseudo + 12, f + 34, 20);
		c = csum(pseudo, sizeof(pseudo), 0);
		f[34 + 16] = (uint8_t)(c >> 8);
		f[34 + 17] = (uint8_t)c;
		if (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll,
			   sizeof(sll)) == (ssize_t)sizeof(f))
			sent++;
		if (i % 2000 == 1999)
			usleep(20000); /* let the ring drain */
	}
	printf("sent %ld SYNs from distinct sources in %.2f s\n", sent,
	       now_s() - t0);
	close(fd);
	return 0;
}

/* status_blocked - the daemon's blocked count, or -1. */
static long status_blocked(const char *sock)
{
	char *argv[] = { "status", NULL };
	struct ctlproto_answer ans;
	const char *why, *p;
	long n = -1;

	if (ctlproto_call(sock, 1, argv, false, 5000, &ans, &why) < 0)
		return -1;
	p = strstr(ans.body, "verdicts");
	if (p)
		sscanf(p, "verdicts %ld blocked", &n);
	free(ans.body);
	return n;
}

/*
 * bench_wait - until N verdicts, or no new one for 8 s, or SECONDS; the
 * rate counts up to the last verdict that arrived.
 */
static int bench_wait(const char *sock, long n, double secs)
{
	double t0 = now_s(), t, last_t = 0;
	long got = 0, last = -1;

	while ((t = now_s() - t0) < secs) {
		got = status_blocked(sock);
		if (got != last) {
			last = got;
			last_t = t;
		}
		if (got >= n || (got > 0 && t - last_t > 8))
			break;
		usleep(20000);
	}
	printf("%ld of %ld addresses became kernel verdicts in %.2f s: "
	       "%.0f verdicts/s end to end\n", last, n, last_t,
	       last_t > 0 ? (double)last / last_t : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "snapshot") == 0)
		return bench_snapshot(argv[2], atol(argv[3]));
	if (argc == 6 && strcmp(argv[1], "syn") == 0)
		return bench_syn(argv[2], argv[3], argv[4], atol(argv[5]));
	if (argc == 5 && strcmp(argv[1], "wait") == 0)
		return bench_wait(argv[2], atol(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: bench_daemon snapshot FILE N | syn IFNAME "
		"DSTMAC DSTIP N | wait SOCKET N SECONDS\n");
	return 1;
}
