/*
 * backend.h - the kernel table that holds verdicts, behind one interface.
 *
 * Implementations:
 *   xdp   eBPF maps read by the XDP/TC program (backend_xdp.c, Linux);
 *   nft   an nftables table "inet NAME" with interval+timeout sets
 *         (backend_nft.c, Linux, through libnftables);
 *   pf    a pf table changed with pfctl (backend_pf.c; the BSDs);
 *   none  nothing in the kernel: the policy service alone
 *         (backend_none.c).
 *
 * Operations (all take batches; one call per batch, never per address
 * where the kernel interface allows it):
 *   add       store or update verdicts;
 *   remove    delete addresses/prefixes (missing ones are not errors);
 *   replace   make the table hold exactly the given verdicts (start-up
 *             restore, flush);
 *   expire    these verdicts have expired: remove them unless the kernel
 *             lets them lapse by itself (xdp and nft do; pf does not);
 *   list      walk what the kernel holds now;
 *   observe   count would-drops and drop nothing (or the reverse);
 *   hits      the kernel's packet count for one verdict, if it keeps one.
 * Every bulk operation fills struct backend_counts, which the daemon logs
 * as "N added, M deleted, K unchanged".
 *
 * Contracts:
 *   - backend_open runs as root, before the privilege drop; it attaches,
 *     pins, creates tables. Everything else runs after the drop and
 *     needs only the capabilities privs.c keeps;
 *   - operations never block for long: pfctl is a short child process,
 *     the others are system calls;
 *   - a failed operation returns -1 with a message in the backend's
 *     error buffer (backend_error) and leaves the rest of the batch
 *     applied where the kernel interface allows it; the daemon logs it
 *     and carries on (the cache is the reference and is pushed again on
 *     the next replace).
 */
#ifndef MXWALL_BACKEND_H
#define MXWALL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct mx_config;
struct backend;

/*
 * struct backend_item - one verdict as the kernel needs it.
 *   addr     address (plen 32/128), IPv6 verdict prefix, or a prefix
 *            given by hand;
 *   action   DAEMON_BLOCK or DAEMON_ALLOW;
 *   kreason  MX_REASON_* (bpf/mxwall.h);
 *   expires  wall clock, Unix seconds; 0 = never.
 */
struct backend_item {
	struct mx_addr addr;
	uint8_t action;
	uint8_t kreason;
	uint32_t expires;
};

/* struct backend_counts - outcome of one bulk operation. */
struct backend_counts {
	size_t added;
	size_t deleted;
	size_t unchanged;
};

typedef int (*backend_list_cb)(const struct backend_item *it, void *arg);

/*
 * struct backend_ops - one implementation. Every operation may be NULL
 * when it has nothing to do (the wrappers below then report success).
 */
struct backend_ops {
	const char *name;
	size_t size; /* of the implementation's private state */
	int (*open)(struct backend *b, const struct mx_config *cfg);
	void (*close)(struct backend *b);
	int (*add)(struct backend *b, const struct backend_item *it, size_t n,
		   struct backend_counts *cnt);
	int (*remove)(struct backend *b, const struct mx_addr *a, size_t n,
		      struct backend_counts *cnt);
	int (*replace)(struct backend *b, const struct backend_item *it,
		       size_t n, struct backend_counts *cnt);
	int (*expire)(struct backend *b, const struct mx_addr *a, size_t n,
		      struct backend_counts *cnt);
	int (*list)(struct backend *b, backend_list_cb cb, void *arg);
	int (*observe)(struct backend *b, bool observe);
	int (*hits)(struct backend *b, const struct mx_addr *a, uint64_t *hits);
	int (*event_fd)(struct backend *b); /* new-client events, or -1 */
	int (*events)(struct backend *b,
		      void (*cb)(const struct mx_addr *a, void *arg),
		      void *arg); /* drain event_fd */
};

/*
 * struct backend - an open backend.
 *   ops      its implementation;
 *   priv     ops->size bytes of private state (zeroed at open);
 *   kernel   true when verdicts reach a kernel table (false for none);
 *   err      the last operation's problem, for the daemon's log line.
 */
struct backend {
	const struct backend_ops *ops;
	void *priv;
	bool kernel;
	char err[512];
};

extern const struct backend_ops backend_xdp_ops;
extern const struct backend_ops backend_nft_ops;
extern const struct backend_ops backend_pf_ops;
extern const struct backend_ops backend_none_ops;

/*
 * backend_open - the backend cfg->backend names, opened (as root). NULL
 * with the reason in err when it cannot be opened, or when it is not
 * built into this binary (xdp and nft without MXWALL_LINUX).
 */
struct backend *backend_open(const struct mx_config *cfg, char *err,
			     size_t errlen);
void backend_close(struct backend *b);
const char *backend_name(const struct backend *b);
const char *backend_error(const struct backend *b);

int backend_add(struct backend *b, const struct backend_item *it, size_t n,
		struct backend_counts *cnt);
int backend_remove(struct backend *b, const struct mx_addr *a, size_t n,
		   struct backend_counts *cnt);
int backend_replace(struct backend *b, const struct backend_item *it,
		    size_t n, struct backend_counts *cnt);
int backend_expire(struct backend *b, const struct mx_addr *a, size_t n,
		   struct backend_counts *cnt);
int backend_list(struct backend *b, backend_list_cb cb, void *arg);
int backend_observe(struct backend *b, bool observe);
int backend_hits(struct backend *b, const struct mx_addr *a,
		 uint64_t *hits);
int backend_event_fd(struct backend *b);
int backend_events(struct backend *b,
		   void (*cb)(const struct mx_addr *a, void *arg), void *arg);

/* backend_counts_text - "N added, M deleted, K unchanged" into buf. */
const char *backend_counts_text(const struct backend_counts *c, char *buf,
				size_t len);

/*
 * backend_seterr - printf into b->err; returns -1 so an operation can
 * "return backend_seterr(b, ...)".
 */
int backend_seterr(struct backend *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* backend_wall_to_boot_ns - a wall-clock expiry as CLOCK_BOOTTIME ns. */
uint64_t backend_wall_to_boot_ns(uint32_t expires);
/* backend_boot_ns_to_wall - the reverse (0 stays 0). */
uint32_t backend_boot_ns_to_wall(uint64_t ns);

#endif
