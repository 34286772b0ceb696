/*
 * json.c - the small JSON writer (see json.h).
 *
 * Never aborts and never writes past its buffer; every failure ends in
 * j->failed. Doubles that are not finite are written as null, since
 * JSON has no spelling for them.
 */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

/* json_put - append n bytes, growing the buffer; false once failed. */
static bool json_put(struct json *j, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (j->failed)
		return false;
	if (j->len + n + 2 > JSON_MAX_LEN) {
		j->failed = true;
		return false;
	}
	if (j->len + n + 2 > j->cap) {
		cap = j->cap ? j->cap : 256;
		while (cap < j->len + n + 2)
			cap *= 2;
		p = realloc(j->buf, cap);
		if (!p) {
			j->failed = true;
			return false;
		}
		j->buf = p;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
	return true;
}

static void json_puts(struct json *j, const char *s)
{
	json_put(j, s, strlen(s));
}

/* utf8_seq_len - length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* json_quote - write val as a JSON string literal. */
static void json_quote(struct json *j, const char *val, size_t len)
{
	const unsigned char *s = (const unsigned char *)val;
	char esc[8];
	size_t i = 0, run, n;

	json_put(j, "\"", 1);
	while (i < len) {
		/* The common case: a run of bytes that need nothing. */
		for (run = i; run < len && s[run] >= 0x20 && s[run] < 0x7f &&
			      s[run] != '"' && s[run] != '\\';
		     run++)
			;
		if (run > i) {
			json_put(j, val + i, run - i);
			i = run;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			json_put(j, esc, 2);
			i++;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			json_puts(j, esc);
			i++;
		} else if ((n = utf8_seq_len(s + i, len - i)) > 0) {
			json_put(j, val + i, n);
			i += n;
		} else {
			json_puts(j, "\xef\xbf\xbd");
			i++;
		}
	}
	json_put(j, "\"", 1);
}

/*
 * json_prefix - the comma and key before a value; false (and failed)
 * when a key is missing in an object or given in an array.
 */
static bool json_prefix(struct json *j, const char *key)
{
	int d = j->depth;

	if (j->failed)
		return false;
	if (d == 0) {
		if (key || j->len > 0)
			j->failed = true;
		return !j->failed;
	}
	if (j->in_array[d - 1] != (key == NULL)) {
		j->failed = true;
		return false;
	}
	if (j->has_items[d - 1])
		json_put(j, ",", 1);
	j->has_items[d - 1] = true;
	if (key) {
		json_quote(j, key, strlen(key));
		json_put(j, ":", 1);
	}
	return !j->failed;
}

/* json_open - start an object or array. */
static void json_open(struct json *j, const char *key, bool array)
{
	if (!json_prefix(j, key))
		return;
	if (j->depth == JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	j->in_array[j->depth] = array;
	j->has_items[j->depth] = false;
	j->depth++;
	json_put(j, array ? "[" : "{", 1);
}

/* json_close - end the innermost container, which must be of this kind. */
static void json_close(struct json *j, bool array)
{
	if (j->failed)
		return;
	if (j->depth == 0 || j->in_array[j->depth - 1] != array) {
		j->failed = true;
		return;
	}
	j->depth--;
	json_put(j, array ? "]" : "}", 1);
}

void json_object_begin(struct json *j, const char *key)
{
	json_open(j, key, false);
}

void json_object_end(struct json *j)
{
	json_close(j, false);
}

void json_array_begin(struct json *j, const char *key)
{
	json_open(j, key, true);
}

void json_array_end(struct json *j)
{
	json_close(j, true);
}

void json_stringn(struct json *j, const char *key, const char *val,
		  size_t len)
{
	if (json_prefix(j, key))
		json_quote(j, val, len);
}

void json_string(struct json *j, const char *key, const char *val)
{
	if (!val)
		json_null(j, key);
	else
		json_stringn(j, key, val, strlen(val));
}

void json_int(struct json *j, const char *key, int64_t val)
{
	char num[32];

	if (json_prefix(j, key)) {
		snprintf(num, sizeof(num), "%lld", (long long)val);
		json_puts(j, num);
	}
}

void json_uint(struct json *j, const char *key, uint64_t val)
{
	char num[32];

	if (json_prefix(j, key)) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)val);
		json_puts(j, num);
	}
}

void json_double(struct json *j, const char *key, double val)
{
	char num[40];

	if (!json_prefix(j, key))
		return;
	if (!isfinite(val)) {
		json_puts(j, "null");
		return;
	}
	snprintf(num, sizeof(num), "%.6g", val);
	json_puts(j, num);
}

void json_bool(struct json *j, const char *key, bool val)
{
	if (json_prefix(j, key))
		json_puts(j, val ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	if (json_prefix(j, key))
		json_puts(j, "null");
}

const char *json_done(struct json *j)
{
	if (j->failed || j->depth != 0 || j->len == 0)
		return NULL;
	if (j->buf[j->len - 1] != '\n' && !json_put(j, "\n", 1))
		return NULL;
	return j->buf;
}
