/*
 * cmd_query.c - `mxwallctl query TYPE:FILE KEY...`: look keys up in a
 * table the way `postmap -q KEY TYPE:FILE` does, so administrators can
 * test their tables and mxwall can be compared with Postfix key by key.
 *
 *   one KEY     prints the result; exit 0, or nothing and exit 1;
 *   several     prints "KEY<TAB>RESULT" per matched key; exit 0 when all
 *               matched, 1 when none did, 2 when some did;
 *   KEY "-"     reads keys from standard input, one per line, and prints
 *               "KEY<TAB>RESULT" per match (as `postmap -q -`); exit 0
 *               when any matched, else 1;
 *   --json      one object per key with the rule's file, line and text.
 * Reads only the table; never talks to the daemon.
 */
#include "ctl.h"
#include "json.h"
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* query_print - one result, plain or as JSON. */
static void query_print(struct ctl_ctx *ctx, const char *key, int rc,
			const struct table_result *res, bool with_key)
{
	struct json j;
	const char *doc;

	if (ctx->json) {
		json_init(&j);
		json_object_begin(&j, NULL);
		json_string(&j, "key", key);
		json_bool(&j, "matched", rc == 1);
		if (rc == 1) {
			json_string(&j, "result", res->value);
			json_string(&j, "file", res->file);
			json_int(&j, "line", res->line);
			json_string(&j, "rule", res->rule);
		}
		json_object_end(&j);
		doc = json_done(&j);
		if (doc)
			printf("%s%s", doc,
			       doc[strlen(doc) - 1] == '\n' ? "" : "\n");
		json_free(&j);
		return;
	}
	if (rc != 1)
		return;
	if (with_key)
		printf("%s\t%s\n", key, res->value);
	else
		printf("%s\n", res->value);
}

/* query_stdin - keys from standard input, as `postmap -q -`. */
static int query_stdin(struct ctl_ctx *ctx, struct table *t)
{
	struct table_result res;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int hits = 0, rc;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = 0;
		rc = table_lookup(t, line, &res);
		if (rc == 1)
			hits++;
		query_print(ctx, line, rc, &res, true);
	}
	free(line);
	return hits ? CTL_OK : CTL_ERROR;
}

int cmd_query(struct ctl_ctx *ctx, int argc, char **argv)
{
	char err[TABLE_ERR_MAX];
	struct table_result res;
	struct table *t;
	int i, rc, hits = 0, status;

	if (argc < 3)
		return ctl_usage(ctl_find("query"));
	t = table_open(argv[1], err, sizeof(err));
	if (!t) {
		fprintf(stderr, "mxwallctl: %s\n", err);
		return CTL_ERROR;
	}
	if (argc == 3 && strcmp(argv[2], "-") == 0) {
		status = query_stdin(ctx, t);
		goto out;
	}
	for (i = 2; i < argc; i++) {
		rc = table_lookup(t, argv[i], &res);
		if (rc == 1)
			hits++;
		query_print(ctx, argv[i], rc, &res, argc > 3);
	}
	if (hits == argc - 2)
		status = CTL_OK;
	else if (hits == 0)
		status = CTL_ERROR;
	else
		status = CTL_NOMATCH;
out:
	fflush(stdout);
	table_free(t);
	return status;
}
