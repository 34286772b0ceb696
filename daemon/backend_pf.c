/*
 * backend_pf.c - verdicts in a pf table, changed through pfctl(8).
 *
 * Every batch is one pfctl run with the addresses on its standard input:
 *   pfctl -t TABLE -T add -f -        new blocks
 *   pfctl -t TABLE -T delete -f -     lifted or expired blocks
 *   pfctl -t TABLE -T replace -f -    start-up restore, flush
 *   pfctl -t TABLE -T show            list
 * and, for each newly blocked host, "pfctl -k HOST" ends the states it
 * already has (pf keeps passing an established connection otherwise).
 * The table holds blocks only: an allow verdict is the absence of the
 * address. pf keeps no expiry, so the daemon's sweeper calls expire and
 * the addresses are deleted here. The counts come from pfctl's own
 * "N/M addresses added." lines; the rule that uses the table is the
 * administrator's (mxwalld(8) gives it).
 *
 * In observe mode the table is emptied and nothing is added; the daemon
 * counts would-drops from the pcap observer and replaces the table again
 * when observe mode ends.
 *
 * pfctl is found at pfctl_path; the tests point it at a stand-in that
 * records its arguments and input. Runs after the privilege drop: the
 * pfctl binary (setgid or via /dev/pf permissions) must let the mxwall
 * user change the table.
 */
#include "backend.h"
#include "config.h"
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PF_OUT_MAX 65536

/*
 * struct pf_state - the pf backend's private state.
 *   pfctl    the program's path;
 *   table    the table's name;
 *   observe  observe mode: the table stays empty;
 *   out      the last run's standard output and error, NUL-terminated.
 */
struct pf_state {
	char pfctl[256];
	char table[64];
	bool observe;
	char out[PF_OUT_MAX];
};

/* pf_pump - write in[] to wfd and read rfd into out until both end. */
static int pf_pump(int wfd, int rfd, const char *in, size_t inlen,
		   char *out, size_t outlen)
{
	size_t done = 0, got = 0;
	struct pollfd p[2];
	ssize_t r;

	if (inlen == 0) {
		close(wfd);
		wfd = -1;
	}
	while (rfd >= 0) {
		p[0].fd = wfd;
		p[0].events = POLLOUT;
		p[1].fd = rfd;
		p[1].events = POLLIN;
		if (poll(p, 2, 30000) <= 0)
			break;
		if (wfd >= 0 &&
		    (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			r = write(wfd, in + done, inlen - done);
			if (r > 0)
				done += (size_t)r;
			if (r < 0 || done == inlen) {
				close(wfd);
				wfd = -1;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			char sink[4096];
			char *dst = got + 1 < outlen ? out + got : sink;
			size_t room = got + 1 < outlen ? outlen - 1 - got :
							 sizeof(sink);

			r = read(rfd, dst, room);
			if (r <= 0)
				break;
			if (dst == out + got)
				got += (size_t)r;
		}
	}
	out[got] = '\0';
	if (wfd >= 0)
		close(wfd);
	return 0;
}

/*
 * pf_run - run pfctl with args (NULL-terminated, without argv[0]) and
 * in on standard input. Output and errors land in st->out. 0 when it
 * exited 0, else -1 with b->err set.
 */
static int pf_run(struct backend *b, const char *const *args, const char *in,
		  size_t inlen)
{
	struct pf_state *st = b->priv;
	const char *argv[16];
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, status, i;
	pid_t pid;

	argv[0] = st->pfctl;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		backend_seterr(b, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		backend_seterr(b, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(inp[0]);
	close(outp[1]);
	signal(SIGPIPE, SIG_IGN);
	pf_pump(inp[1], outp[0], in, inlen, st->out, sizeof(st->out));
	close(outp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *nl = strchr(st->out, '\n');

		if (nl && nl[1] == '\0')
			*nl = '\0';
		return backend_seterr(b, "%s %s %s: failed: %.200s", st->pfctl,
				      args[0], args[1] ? args[1] : "", st->out);
	}
	return 0;
fail:
	for (i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	return -1;
}

/* pf_count - the first number before "/N addresses WORD" in the output. */
static size_t pf_count(const char *out, const char *word, size_t dflt)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " addresses %s", word);
	p = strstr(out, pat);
	if (!p)
		return dflt;
	while (p > out && p[-1] != '\n')
		p--;
	if (sscanf(p, "%zu/", &n) != 1)
		return dflt;
	return n;
}

/* pf_input - block items (or all of a[]) as one address per line. */
static char *pf_input(const struct backend_item *it, const struct mx_addr *a,
		      size_t n, size_t *len, size_t *count)
{
	char abuf[ADDR_STRLEN], *buf = malloc(n * ADDR_STRLEN + 1);
	size_t i, o = 0;

	*count = 0;
	if (!buf)
		return NULL;
	for (i = 0; i < n; i++) {
		if (it && it[i].action != DAEMON_BLOCK)
			continue;
		addr_format(it ? &it[i].addr : &a[i], abuf, sizeof(abuf));
		o += (size_t)sprintf(buf + o, "%s\n", abuf);
		(*count)++;
	}
	buf[o] = '\0';
	*len = o;
	return buf;
}

/* pf_table_op - run "-t TABLE -T op -f -" with the given addresses. */
static int pf_table_op(struct backend *b, const char *op, char *in,
		       size_t len)
{
	struct pf_state *st = b->priv;
	const char *args[] = { "-t", st->table, "-T", op, "-f", "-", NULL };
	int r = pf_run(b, args, in, len);

	free(in);
	return r;
}

/* pf_kill_states - end the states of each newly blocked host. */
static void pf_kill_states(struct backend *b, const struct backend_item *it,
			   size_t n)
{
	char abuf[ADDR_STRLEN];
	size_t i;

	/*
	 * XXX pfctl -k takes one host per run, so a large batch of new
	 * blocks costs one process each; a DIOCKILLSTATES ioctl loop
	 * would do it in one.
	 */
	for (i = 0; i < n; i++) {
		const char *args[] = { "-k", abuf, NULL };

		if (it[i].action != DAEMON_BLOCK || it[i].addr.plen !=
		    addr_bits(&it[i].addr))
			continue;
		addr_format(&it[i].addr, abuf, sizeof(abuf));
		pf_run(b, args, NULL, 0);
	}
}

static int pf_open(struct backend *b, const struct mx_config *cfg)
{
	struct pf_state *st = b->priv;

	snprintf(st->pfctl, sizeof(st->pfctl), "%s", cfg->pfctl_path);
	snprintf(st->table, sizeof(st->table), "%s", cfg->pf_table);
	if (access(st->pfctl, X_OK) < 0)
		return backend_seterr(b, "%s: %s", st->pfctl, strerror(errno));
	return 0;
}

static int pf_add(struct backend *b, const struct backend_item *it, size_t n,
		  struct backend_counts *cnt)
{
	struct pf_state *st = b->priv;
	struct mx_addr *lift;
	size_t len, count, i, nlift = 0;
	char *in;
	int r = 0;

	if (st->observe)
		return 0;
	in = pf_input(it, NULL, n, &len, &count);
	if (!in)
		return backend_seterr(b, "out of memory");
	if (count) {
		r = pf_table_op(b, "add", in, len);
		if (r == 0) {
			cnt->added = pf_count(st->out, "added", count);
			cnt->unchanged = count - cnt->added;
			pf_kill_states(b, it, n);
		}
	} else {
		free(in);
	}

	/* An allow verdict for a blocked address lifts the block. */
	lift = malloc(n * sizeof(*lift));
	if (!lift)
		return backend_seterr(b, "out of memory");
	for (i = 0; i < n; i++)
		if (it[i].action == DAEMON_ALLOW)
			lift[nlift++] = it[i].addr;
	if (nlift) {
		in = pf_input(NULL, lift, nlift, &len, &count);
		if (in && pf_table_op(b, "delete", in, len) == 0)
			cnt->deleted = pf_count(st->out, "deleted", 0);
	}
	free(lift);
	return r;
}

static int pf_remove(struct backend *b, const struct mx_addr *a, size_t n,
		     struct backend_counts *cnt)
{
	struct pf_state *st = b->priv;
	size_t len, count;
	char *in;

	if (st->observe)
		return 0;
	in = pf_input(NULL, a, n, &len, &count);
	if (!in)
		return backend_seterr(b, "out of memory");
	if (pf_table_op(b, "delete", in, len) < 0)
		return -1;
	cnt->deleted = pf_count(st->out, "deleted", count);
	return 0;
}

static int pf_replace(struct backend *b, const struct backend_item *it,
		      size_t n, struct backend_counts *cnt)
{
	struct pf_state *st = b->priv;
	size_t len, count;
	char *in;

	in = pf_input(it, NULL, st->observe ? 0 : n, &len, &count);
	if (!in)
		return backend_seterr(b, "out of memory");
	if (pf_table_op(b, "replace", in, len) < 0)
		return -1;
	cnt->added = pf_count(st->out, "added", count);
	cnt->deleted = pf_count(st->out, "deleted", 0);
	cnt->unchanged = count >= cnt->added ? count - cnt->added : 0;
	return 0;
}

static int pf_list(struct backend *b, backend_list_cb cb, void *arg)
{
	struct pf_state *st = b->priv;
	const char *args[] = { "-t", st->table, "-T", "show", NULL };
	struct backend_item it;
	const char *why;
	char *line, *save = NULL;

	if (pf_run(b, args, NULL, 0) < 0)
		return -1;
	for (line = strtok_r(st->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		memset(&it, 0, sizeof(it));
		if (addr_parse_prefix(line, &it.addr, false, &why) < 0)
			continue;
		it.action = DAEMON_BLOCK;
		if (cb(&it, arg))
			break;
	}
	return 0;
}

static int pf_observe(struct backend *b, bool observe)
{
	struct pf_state *st = b->priv;
	const char *args[] = { "-t", st->table, "-T", "flush", NULL };

	if (st->observe == observe)
		return 0;
	st->observe = observe;
	return observe ? pf_run(b, args, NULL, 0) : 0;
}

const struct backend_ops backend_pf_ops = {
	.name = "pf",
	.size = sizeof(struct pf_state),
	.open = pf_open,
	.add = pf_add,
	.remove = pf_remove,
	.replace = pf_replace,
	.expire = pf_remove,
	.list = pf_list,
	.observe = pf_observe,
};
