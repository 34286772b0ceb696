/*
 * mxwalld.c - the mxwall daemon: main() and the start-up order.
 *
 * usage: mxwalld [-f] [-c FILE] [-n] [-v]...
 *   -f       stay in the foreground, log to stderr (else: detach once
 *            ready, log to syslog, facility mail, ident mxwalld);
 *   -c FILE  the configuration (default /etc/mxwall/mxwall.conf);
 *   -n       check the whole configuration, tables included, print every
 *            problem, exit 0 (good) or 1;
 *   -v       more debug lines (repeat for more).
 *
 * Start-up, in this order (mxwalld(8), DESIGN.md "Lifecycle"): read and
 * check all configuration; as root, load/attach/pin (backend), restore
 * the snapshot into the kernel, bind the control and policy sockets,
 * open the pcap capture; drop to the unprivileged user; announce
 * readiness; run the event loop. Stop (SIGTERM/SIGINT): STOPPING=1,
 * snapshot, release; kernel verdicts stay and expire by themselves.
 */
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "dnsbl_dead.h"
#include "evloop.h"
#include "log.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONF "/etc/mxwall/mxwall.conf"

static void usage(void)
{
	fprintf(stderr, "usage: mxwalld [-f] [-c FILE] [-n] [-v]...\n");
	exit(1);
}

/*
 * check_environment - what the configuration names outside itself: the
 * user, the interfaces, pfctl. Each problem is printed as a warning (the
 * file may be checked on another host, or before make install creates
 * the user), and counted.
 */
static int check_environment(const char *path, const struct mx_config *cfg)
{
	int bad = 0, i;

	if (!getpwnam(cfg->user)) {
		fprintf(stderr, "mxwalld: %s: warning: user: \"%s\" does "
			"not exist: mxwalld will not start until it does\n",
			path, cfg->user);
		bad++;
	}
	for (i = 0; i < cfg->interfaces.n; i++)
		if (if_nametoindex(cfg->interfaces.v[i]) == 0) {
			fprintf(stderr, "mxwalld: %s: warning: interfaces: "
				"\"%s\" does not exist here: mxwalld will "
				"not start here\n", path, cfg->interfaces.v[i]);
			bad++;
		}
	if (strcmp(cfg->backend, "pf") == 0 && access(cfg->pfctl_path, X_OK)) {
		fprintf(stderr, "mxwalld: %s: warning: pfctl_path: %s: %s: "
			"mxwalld will not start here\n", path, cfg->pfctl_path,
			strerror(errno));
		bad++;
	}
	return bad;
}

/* check_only - mxwalld -n: every problem printed, exit 0 or 1. */
static int check_only(const char *path)
{
	struct mx_config *cfg;

	cfg = config_load(path, CONFIG_OPEN_TABLES | CONFIG_FOR_CHECK);
	if (!cfg) {
		fprintf(stderr, "mxwalld: %s: configuration refused\n", path);
		return 1;
	}
	check_environment(path, cfg);
#if !MXWALL_LINUX
	if (strcmp(cfg->backend, "xdp") == 0 ||
	    strcmp(cfg->backend, "nft") == 0) {
		fprintf(stderr, "mxwalld: %s: backend %s is not built into "
			"this program: configuration refused\n", path,
			cfg->backend);
		config_free(cfg);
		return 1;
	}
#endif
	dnsbl_dead_check(cfg); /* warnings only: those lists are quarantined */
	printf("mxwalld: %s: configuration OK (backend %s, mode %s)\n", path,
	       cfg->backend, cfg->mode);
	config_free(cfg);
	return 0;
}

/*
 * detach - fork; the parent waits until the child reports readiness on
 * a pipe (or dies) and exits with that outcome. Returns the write end in
 * the child.
 */
static int detach(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		msg_fatal("pipe: %s: not starting", strerror(errno));
	pid = fork();
	if (pid < 0)
		msg_fatal("fork: %s: not starting", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	return p[1];
}

/*
 * state_dir_prepare - create the snapshot's folder for user when it is
 * missing (systemd's StateDirectory and tests/install.sh normally do).
 */
static void state_dir_prepare(const struct mx_config *cfg)
{
	char dir[4096];
	struct passwd *pw;
	char *slash;

	if (!*cfg->state_file || geteuid() != 0)
		return;
	snprintf(dir, sizeof(dir), "%s", cfg->state_file);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0) {
		if (errno != EEXIST)
			msg_warn("%s: cannot create: %s: verdicts will not be "
				 "saved", dir, strerror(errno));
		return;
	}
	pw = getpwnam(cfg->user);
	if (pw && chown(dir, pw->pw_uid, pw->pw_gid) < 0)
		msg_warn("%s: cannot give it to %s: %s: verdicts will not be "
			 "saved", dir, cfg->user, strerror(errno));
}

/* ready - tell the service manager and a waiting parent we are up. */
static void ready(int ready_fd)
{
	int null;

	notify_send("READY=1");
	if (ready_fd < 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	if (write(ready_fd, "1", 1) != 1)
		msg_warn("telling the parent process we are ready: %s",
			 strerror(errno));
	close(ready_fd);
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONF;
	struct pcap_observer *po = NULL;
	struct control *ctl = NULL;
	struct policy_server *ps = NULL;
	struct mx_config *cfg;
	struct daemon *d;
	int foreground = 0, check = 0, ready_fd = -1, ch;
	char err[512];

	while ((ch = getopt(argc, argv, "fc:nvV")) != -1) {
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'V':
			printf("mxwalld %s\n", MXWALL_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (check) {
		log_init("mxwalld", LOG_TO_STDERR);
		return check_only(path);
	}
	log_init("mxwalld", foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG);

	cfg = config_load(path, CONFIG_OPEN_TABLES | CONFIG_FOR_START);
	if (!cfg)
		msg_fatal("%s: configuration refused: not starting", path);
	if (!foreground)
		ready_fd = detach();

	d = daemon_create(cfg, path, err, sizeof(err));
	if (!d)
		msg_fatal("%s: not starting", err);
	ctl = control_create(d, NULL, err, sizeof(err));
	if (!ctl)
		msg_fatal("control socket: %s: not starting", err);
	ps = policy_create(daemon_loop(d), cfg, &daemon_policy_hooks, d, err,
			   sizeof(err));
	if (!ps)
		msg_fatal("policy service: %s: not starting", err);
	daemon_set_policy(d, ps);
	control_set_policy(ctl, ps);
	if (strcmp(cfg->backend, "xdp") != 0) {
		po = pcap_observer_start(d, err, sizeof(err));
		if (!po)
			msg_warn("%s: new clients are seen only through the "
				 "policy service", err);
	}
	if (daemon_start(d, err, sizeof(err)) < 0)
		msg_fatal("%s: not starting", err);
	state_dir_prepare(cfg);
	if (privs_drop(cfg->user, cfg->backend, err, sizeof(err)) < 0)
		msg_fatal("%s: not starting", err);

	msg_info("started: version %s, configuration %s, backend %s, mode %s,"
		 " user %s", MXWALL_VERSION, path, cfg->backend, cfg->mode,
		 cfg->user);
	ready(ready_fd);
	if (evloop_run(daemon_loop(d)) < 0)
		msg_warn("event loop: %s: stopping", strerror(errno));

	notify_send("STOPPING=1");
	control_free(ctl);
	policy_free(ps);
	pcap_observer_free(po);
	daemon_free(d);
	msg_info("stopped");
	return 0;
}
