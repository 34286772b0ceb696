/*
 * json.h - a small JSON writer for mxwallctl --json and the control
 * socket's answers.
 *
 * A struct json collects one document in memory. Containers are opened
 * and closed explicitly; inside an object every value takes a key,
 * inside an array the key must be NULL. Commas, quoting and escaping
 * are the writer's business: strings are escaped as RFC 8259 asks
 * ("\"", "\\", control characters as \uXXXX; bytes that are not valid
 * UTF-8 become U+FFFD), so untrusted text (PTR names, TXT records) can
 * be passed as it is.
 *
 * Contracts:
 *   - the writer never aborts: on a misuse (a key inside an array,
 *     closing what is not open, nesting deeper than JSON_MAX_DEPTH) or
 *     out of memory it sets j->failed and ignores the rest; json_done
 *     then returns NULL;
 *   - the document is at most JSON_MAX_LEN bytes; beyond that, failed.
 */
#ifndef MXWALL_JSON_H
#define MXWALL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16
#define JSON_MAX_LEN (512u << 20)

/*
 * struct json - one document being written.
 *   buf, len, cap  the text so far (NUL-terminated when len > 0);
 *   depth          containers open now;
 *   in_array       per level: the container is an array (else object);
 *   has_items      per level: a value was written (the next needs ',');
 *   failed         a misuse or allocation failure happened.
 */
struct json {
	char *buf;
	size_t len, cap;
	int depth;
	bool in_array[JSON_MAX_DEPTH];
	bool has_items[JSON_MAX_DEPTH];
	bool failed;
};

void json_init(struct json *j);
void json_free(struct json *j);

/* Containers. key is NULL at the top level and inside arrays. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

/* Values. */
void json_string(struct json *j, const char *key, const char *val);
void json_stringn(struct json *j, const char *key, const char *val,
		  size_t len);
void json_int(struct json *j, const char *key, int64_t val);
void json_uint(struct json *j, const char *key, uint64_t val);
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

/*
 * json_done - finish: every container must be closed. Returns the
 * document with a final newline (owned by j, freed by json_free), or
 * NULL if the writer failed or a container is still open.
 */
const char *json_done(struct json *j);

#endif
