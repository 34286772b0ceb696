/*
 * privs.c - give up root once everything that needs it is done.
 *
 * mxwalld loads and attaches the kernel program, pins its maps, creates
 * the nftables table, binds its sockets and opens the pcap handle as
 * root; then privs_drop switches to the configured user and keeps only
 * the capabilities the backend still needs for its table updates:
 *
 *   xdp   CAP_BPF: with kernel.unprivileged_bpf_disabled set (Debian's
 *         default) every bpf() call, even a map update on a descriptor
 *         opened as root, checks CAP_BPF. Kernels older than 5.8 have
 *         no CAP_BPF and check CAP_SYS_ADMIN instead; mxwalld does not
 *         keep that one, so on those kernels map updates fail after the
 *         drop (documented in mxwalld(8), BUGS).
 *   nft   CAP_NET_ADMIN: every nftables change is a netlink message the
 *         kernel checks against it.
 *   pf    none: pfctl's access comes from /dev/pf's permissions.
 *   none  none.
 *
 * The capabilities are kept in the permitted and effective sets only;
 * the bounding set is cut to the same, so nothing the daemon runs later
 * can regain more. No code that parses network or DNS input runs before
 * this point, except the snapshot reader (a file root owns).
 *
 * Implemented with prctl/capset directly, without libcap.
 */
#include "daemon.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* privs_needed - the capability bits backend still needs. */
static uint64_t privs_needed(const char *backend)
{
	if (strcmp(backend, "xdp") == 0)
		return 1ULL << CAP_BPF;
	if (strcmp(backend, "nft") == 0)
		return 1ULL << CAP_NET_ADMIN;
	return 0;
}

/* privs_capset - set permitted and effective to exactly caps. */
static int privs_capset(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (uint32_t)caps;
	data[1].permitted = data[1].effective = (uint32_t)(caps >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

int privs_drop(const char *user, const char *backend, char *err,
	       size_t errlen)
{
	uint64_t keep = privs_needed(backend);
	struct passwd *pw;
	int cap;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user \"%s\" does not exist (create it, "
			 "or set user in mxwall.conf)", user);
		return -1;
	}
	for (cap = 0; cap <= 63; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			break;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		snprintf(err, errlen, "switching to user %s: %s", user,
			 strerror(errno));
		return -1;
	}
	if (privs_capset(keep) < 0) {
		snprintf(err, errlen, "keeping capabilities %#llx: %s",
			 (unsigned long long)keep, strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (strcmp(backend, "pf") != 0)
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
