/*
 * config.h - mxwall.conf: Postfix main.cf syntax, typed access.
 *
 * Syntax (as main.cf): "name = value"; a line that begins with white
 * space continues the previous one; a line whose first non-blank
 * character is '#' is a comment; lists are separated by commas and/or
 * white space; durations take a unit s, m, h, d or w (no unit: seconds);
 * "$name", "${name}" and "$(name)" are replaced by another parameter's
 * value, "$$" by "$".
 *
 * Every parameter is a row of params.def; struct mx_config has one typed
 * field per row, named like the parameter:
 *   STR       char *                   never NULL ("" when empty);
 *   LIST      struct config_list       words, separators removed;
 *   INT       long                     within min..max;
 *   BOOL      bool                     yes/no, true/false, on/off, 1/0;
 *   TIME      long                     seconds, within min..max;
 *   ENUM      char *                   one of the row's choices;
 *   TABLES    struct config_tables     "type:path" specs (+ open tables);
 *   PREFIXES  struct config_prefixes   addresses and prefixes;
 *   SITES     struct config_sites      postscreen_dnsbl_sites entries;
 *   PORTS     struct config_ports      TCP port numbers.
 *
 * config_load() reads a file and reports EVERY problem through msg_warn
 * before it returns: an unknown parameter is a warning ("mxwall.conf,
 * line 3: unknown parameter "foo": ignored") and does not fail the load;
 * a bad value is an error naming file, line, parameter, value and why
 * ("mxwall.conf, line 12: dnsbl_sites: weight "3x" is not a number:
 * not starting"), and the whole configuration is refused (NULL). The
 * words after the last colon come from the flags (what the caller does
 * next). Never exits, never logs at fatal level: the caller decides.
 */
#ifndef MXWALL_CONFIG_H
#define MXWALL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

struct table_list;

/* struct config_list - n words v[0..n-1], each a NUL-terminated copy. */
struct config_list {
	int n;
	char **v;
};

/*
 * struct config_tables - a TABLES parameter.
 *   spec  the "type:path" words as written (after $name expansion);
 *   tl    the opened tables in spec order with CONFIG_OPEN_TABLES, else
 *         NULL; owned by the configuration (freed by config_free).
 */
struct config_tables {
	struct config_list spec;
	struct table_list *tl;
};

/* struct config_prefixes - n addresses or prefixes (plen = prefix bits). */
struct config_prefixes {
	int n;
	struct mx_addr *v;
};

/*
 * struct config_site - one "domain[=filter][*weight]" entry.
 *   domain  the list's zone, lower case, no trailing dot;
 *   filter  the text after '=' ("127.0.0.[2..11]"), NULL if none: the
 *           reply must match it to count (syntax checked here, meaning
 *           applied by the DNS code);
 *   weight  added to the client's score when listed; negative for an
 *           allowlist; 1 when not written.
 */
struct config_site {
	char *domain;
	char *filter;
	int weight;
};

struct config_sites {
	int n;
	struct config_site *v;
};

#define CONFIG_PORTS_MAX 8

struct config_ports {
	int n;
	uint16_t v[CONFIG_PORTS_MAX];
};

/* The C type of each parameter type (used to generate struct mx_config). */
#define CONF_CTYPE_STR char *
#define CONF_CTYPE_LIST struct config_list
#define CONF_CTYPE_INT long
#define CONF_CTYPE_BOOL bool
#define CONF_CTYPE_TIME long
#define CONF_CTYPE_ENUM char *
#define CONF_CTYPE_TABLES struct config_tables
#define CONF_CTYPE_PREFIXES struct config_prefixes
#define CONF_CTYPE_SITES struct config_sites
#define CONF_CTYPE_PORTS struct config_ports

enum config_type {
	CONF_T_STR,
	CONF_T_LIST,
	CONF_T_INT,
	CONF_T_BOOL,
	CONF_T_TIME,
	CONF_T_ENUM,
	CONF_T_TABLES,
	CONF_T_PREFIXES,
	CONF_T_SITES,
	CONF_T_PORTS,
};

/* CONF_P_<name>: a parameter's index in config_params[] and origin[]. */
enum config_param_id {
#define PARAM(name, type, def, min, max, choices, section, help) \
	CONF_P_##name,
#include "params.def"
	CONF_NPARAMS
};

/* CONF_SEC_<id>: the man page sections of params.def. */
enum config_section {
#define SECTION(id, title) CONF_SEC_##id,
#include "params.def"
	CONF_NSECTIONS
};

/* struct config_param - one row of params.def, as data. */
struct config_param {
	const char *name;
	enum config_type type;
	const char *def;     /* default, as a user would write it */
	long min, max;       /* INT/TIME bounds (seconds), PORTS count */
	const char *choices; /* ENUM words separated by spaces, else NULL */
	enum config_section section;
	const char *help;
};

extern const struct config_param config_params[CONF_NPARAMS];
extern const char *const config_section_titles[CONF_NSECTIONS];

/*
 * struct config_origin - where a parameter's value came from.
 *   file  the configuration file's path, or NULL for the default;
 *   line  the line "name =" is on (1-based), 0 for the default.
 */
struct config_origin {
	const char *file;
	int line;
};

/*
 * struct mx_config - one loaded configuration; read-only once loaded.
 *   <parameter>  one field per params.def row (types above);
 *   origin       per parameter, indexed by CONF_P_<name>;
 *   raw          per parameter, the value after $name expansion, as
 *                mxwallctl config prints it;
 *   path         the file read, or "(defaults)".
 */
struct mx_config {
#define PARAM(name, type, def, min, max, choices, section, help) \
	CONF_CTYPE_##type name;
#include "params.def"
	struct config_origin origin[CONF_NPARAMS];
	char *raw[CONF_NPARAMS];
	char *path;
};

/*
 * Flags for config_load. The CONFIG_FOR_* flags choose the words that end
 * each error line, i.e. what happens next (none: no words, as for -n).
 */
#define CONFIG_OPEN_TABLES 0x01 /* open every TABLES parameter's tables */
#define CONFIG_FOR_START 0x02   /* ": not starting" */
#define CONFIG_FOR_RELOAD 0x04  /* ": keeping the old configuration" */
#define CONFIG_FOR_CHECK 0x08   /* ": configuration refused" */

/*
 * config_load - read and check path. Returns a configuration, or NULL
 * when at least one error was found (all of them reported) or the file
 * cannot be read. path NULL gives the defaults alone.
 */
struct mx_config *config_load(const char *path, int flags);

/*
 * config_load_text - as config_load, from memory: name is used in
 * diagnostics ("mxwall.conf, line 3: ..."), text holds len bytes (NUL
 * bytes in it are errors, not terminators).
 */
struct mx_config *config_load_text(const char *name, const char *text,
				   size_t len, int flags);

/* config_free - free cfg and everything it owns (NULL is fine). */
void config_free(struct mx_config *cfg);

/*
 * config_site_check - whether word is a dnsbl_sites/rhsbl_sites entry
 * mxwall takes ("domain[=filter][*weight]"): 0, or -1 with the reason in
 * why (e.g. "\"x=1\": reply filter \"1\" is not like 127.0.0.2 or
 * 127.0.0.[2..11;14]").
 */
int config_site_check(const char *word, char *why, size_t whylen);

/* config_param_find - a parameter by name, or NULL. */
const struct config_param *config_param_find(const char *name);

/*
 * config_dump - every parameter as "name = value" lines with a comment
 * naming where it was set ("# mxwall.conf, line 4" / "# default"), or
 * with json one object {"name": {"value": ..., "origin": ...}, ...}.
 */
void config_dump(FILE *fp, const struct mx_config *cfg, bool json);

/*
 * config_man - write mxwall.conf(5) in troff, generated from params.def;
 * docs/mxwall.conf.5 is this output, checked by the test suite.
 */
void config_man(FILE *fp);

/*
 * $name expansion, Postfix main.cf style, shared by config_load and the
 * main.cf importer (import.c). The forms, as Postfix 3 reads main.cf:
 *   $name, ${name}, $(name)   the value of name (a name is letters,
 *                             digits and "_"; blanks inside the
 *                             brackets are ignored);
 *   ${name?text}              text when name's value is not empty;
 *   ${name:text}              text when it is empty;
 *   ${name?{text}}, ${name:{text}}, ${name?{text}:{other}} (or
 *                             ":other"): the same, braces taken off,
 *                             blanks around them ignored;
 *   $$                        a dollar sign.
 * A text that applies is expanded in turn.
 *
 * enum config_ref - what the caller's lookup says a name stands for:
 *   CONFIG_REF_VALUE  *value, put in as it is;
 *   CONFIG_REF_TEXT   *value, expanded in turn (one level deeper);
 *   CONFIG_REF_KEEP   unknown here: the reference is copied as written;
 *   CONFIG_REF_FAIL   the lookup has reported a problem: stop.
 * A conditional asks only whether the value is empty (test true);
 * *value NULL counts as empty.
 */
enum config_ref {
	CONFIG_REF_VALUE,
	CONFIG_REF_TEXT,
	CONFIG_REF_KEEP,
	CONFIG_REF_FAIL,
};

/*
 * struct config_expander - the caller's side of config_expand.
 *   lookup        what name (len bytes, not terminated) stands for;
 *                 depth is the nesting level of the reference;
 *   error         a syntax problem or too deep a nesting, as a sentence
 *                 without file or line ("\"${x\": missing \"}\" after
 *                 \"${\"");
 *   arg           passed to both;
 *   max_depth     deepest nesting followed (deeper is an error);
 *   max_len       longest result, in bytes (longer is an error, so
 *                 "a = $b $b, b = $c $c, ..." cannot fill the memory);
 *                 0 for no limit;
 *   keep_dollars  "$$" stays "$$", so the result is still main.cf text
 *                 (for the importer's output), instead of becoming "$".
 */
struct config_expander {
	enum config_ref (*lookup)(void *arg, const char *name, size_t len,
				  bool test, int depth, const char **value);
	void (*error)(void *arg, const char *what);
	void *arg;
	int max_depth;
	size_t max_len;
	bool keep_dollars;
};

/*
 * config_expand - s with its references replaced, malloc'd; depth is
 * the nesting level of s (0 for a parameter's own value). NULL after a
 * problem was reported through error or lookup, or when out of memory
 * (nothing reported). Never logs by itself.
 */
char *config_expand(const char *s, int depth,
		    const struct config_expander *x);

/*
 * config_duration - parse "30", "30s", "5m", "2h", "1d", "1w" into
 * seconds. 0, or -1 with *why set to a static reason.
 */
int config_duration(const char *s, long *secs, const char **why);

#endif
