/*
 * access.h - Postfix access(5) actions: a table's result as a typed
 * action, and the check_*_access walk over tables and keys.
 *
 * access_parse() never fails on a word it does not know: as in Postfix,
 * such a result names a restriction (ACCESS_RESTRICTION); the caller
 * decides whether it supports it. It fails (-1) only on a result Postfix
 * itself would refuse: empty, a 3-digit code other than 4NN/5NN, PREPEND
 * without a "Name: value" header, REDIRECT or BCC without user@domain,
 * FILTER without transport:destination. RELAY means OK, as in Postfix.
 *
 * access_check() follows Postfix's check_*_access (smtpd_check.c) for
 * regexp, pcre and cidr tables: each table in order; within a table the
 * keys in order (e.g. the client name, then its address) until one
 * matches a rule - later keys are then not tried in that table, which is
 * what access(5) means by DUNNO "pretend the key was not found and do
 * not try substrings". A final action (OK, numeric, REJECT, DEFER,
 * 4NN/5NN, DISCARD, a restriction name) ends the walk; DUNNO and the
 * side-effect actions (WARN, INFO, HOLD, PREPEND, REDIRECT, FILTER, BCC,
 * DEFER_IF_PERMIT, DEFER_IF_REJECT) go on to the next table, as in
 * Postfix. Nothing here allocates; results are copies the caller owns on
 * its stack.
 */
#ifndef MXWALL_ACCESS_H
#define MXWALL_ACCESS_H

#include <stdbool.h>

#include "table.h"

/*
 * enum access_kind - the access(5) action words. ACCESS_CODE is an
 * explicit 4NN/5NN reply, ACCESS_NUMERIC an all-digit result (means OK),
 * ACCESS_RESTRICTION any other word (a restriction name such as
 * permit_auth_destination or reject_unauth_destination).
 */
enum access_kind {
	ACCESS_OK,
	ACCESS_NUMERIC,
	ACCESS_DUNNO,
	ACCESS_REJECT,
	ACCESS_DEFER,
	ACCESS_DEFER_IF_REJECT,
	ACCESS_DEFER_IF_PERMIT,
	ACCESS_CODE,
	ACCESS_DISCARD,
	ACCESS_HOLD,
	ACCESS_PREPEND,
	ACCESS_REDIRECT,
	ACCESS_FILTER,
	ACCESS_BCC,
	ACCESS_WARN,
	ACCESS_INFO,
	ACCESS_RESTRICTION,
};

/* Longest result kept; longer results are cut (see access_parse). */
#define ACCESS_TEXT_MAX 1024

/*
 * struct access_action - one parsed result.
 *   kind  the action;
 *   code  the SMTP reply code: from 4NN/5NN, else 0 (the caller picks
 *         the default: 554 for REJECT, 450 for DEFER, as configured);
 *   dsn   the enhanced status "x.y.z" given after a 4NN/5NN, or "";
 *   text  the words after the keyword/code/dsn (reply text, header for
 *         PREPEND, destination for REDIRECT/FILTER/BCC), "" if none;
 *         for ACCESS_RESTRICTION the whole result;
 *   orig  the result as the table gave it.
 */
struct access_action {
	enum access_kind kind;
	int code;
	char dsn[16];
	char text[ACCESS_TEXT_MAX];
	char orig[ACCESS_TEXT_MAX];
};

/* access_parse - result -> *act. 0, or -1 if Postfix would refuse it. */
int access_parse(const char *result, struct access_action *act);

/* access_kind_name - "OK", "REJECT", "4NN/5NN", "restriction", ... */
const char *access_kind_name(enum access_kind kind);

/*
 * struct access_result - the deciding rule of access_check.
 *   action  its action (never ACCESS_DUNNO);
 *   final   true: a final action (Postfix stops there); false: no final
 *           action matched and this is the first side-effect action
 *           (WARN, HOLD, ...) met on the way. Postfix would apply every
 *           side effect it meets; one answer can carry only one.
 *   table   the table's "type:path" (owned by the table);
 *   file, line, rule   where the rule is (owned by the table);
 *   key     index into keys[] of the key that matched.
 */
struct access_result {
	struct access_action action;
	bool final;
	const char *table;
	const char *file;
	int line;
	const char *rule;
	int key;
};

/* access_final - whether Postfix stops at this action (see above). */
bool access_final(enum access_kind kind);

/*
 * access_check - walk tables x keys (NULL keys are skipped). Returns 1
 * with *res filled (a final action, else the first side effect), 0 when
 * nothing but DUNNO matched. A lookup error counts as not found (the
 * table logs it); a result that access_parse refuses is logged (table,
 * line, text) and counts as DUNNO, as Postfix warns and goes on.
 */
int access_check(struct table_list *tl, const char *const keys[], int nkeys,
		 struct access_result *res);

#endif
