/*
 * test_ctlproto.c - the control protocol (lib/ctlproto.c) and the JSON
 * writer (lib/json.c): request words survive encoding, every malformed
 * request or answer head is refused with a reason, JSON text is exactly
 * what a script would read, and ctlproto_call talks to a real socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlproto.h"
#include "json.h"

/* Round trips: words in, the exact line on the wire, words back. */
static const struct {
	bool json;
	int argc;
	const char *argv[4];
	const char *wire;
} encode_cases[] = {
	{ false, 1, { "status" }, "status\n" },
	{ true, 1, { "status" }, "--json status\n" },
	{ false, 2, { "show", "192.0.2.66" }, "show 192.0.2.66\n" },
	{ false, 4, { "block", "2001:db8::/64", "--reason", "spam run 5%" },
	  "block 2001:db8::/64 --reason spam%20run%205%25\n" },
	{ false, 2, { "x", "tab\there\x7f\xc3\xa9" },
	  "x tab%09here%7F%C3%A9\n" },
	{ true, 2, { "--json", "--json" }, "--json --json --json\n" },
};

static void test_encode_roundtrip(void **state)
{
	struct ctlproto_request req;
	const char *why = NULL;
	char buf[CTLPROTO_MAX_REQUEST];
	size_t i;
	int n, k;

	for (i = 0; i < sizeof(encode_cases) / sizeof(encode_cases[0]);
	     i++) {
		n = ctlproto_encode_request(encode_cases[i].argc,
					    (char *const *)encode_cases[i].argv,
					    encode_cases[i].json, buf,
					    sizeof(buf));
		assert_int_equal(n, strlen(encode_cases[i].wire));
		assert_string_equal(buf, encode_cases[i].wire);
		assert_int_equal(ctlproto_parse_request(buf, (size_t)n - 1,
							&req, &why), 0);
		assert_int_equal(req.json, encode_cases[i].json);
		assert_int_equal(req.argc, encode_cases[i].argc);
		for (k = 0; k < req.argc; k++)
			assert_string_equal(req.argv[k],
					    encode_cases[i].argv[k]);
		assert_null(req.argv[req.argc]);
	}
}

/* Requests the server must refuse, each with the reason it gives. */
static const struct {
	const char *line;
	size_t len; /* 0: strlen */
	const char *why;
} bad_requests[] = {
	{ "", 0, "empty request" },
	{ "--json", 0, "empty request" },
	{ "status ", 0, "empty word in request" },
	{ " status", 0, "empty word in request" },
	{ "show  1.2.3.4", 0, "empty word in request" },
	{ "show 1.2.3.4%", 0, "bad %XX escape in request" },
	{ "show 1.2.3.4%4", 0, "bad %XX escape in request" },
	{ "show %zz", 0, "bad %XX escape in request" },
	{ "show %00", 0, "bad %XX escape in request" },
	{ "show a\rb", 0, "control character in request" },
	{ "show a\0b", 8, "control character in request" },
	{ "show a\tb", 0, "control character in request" },
	{ "status\x01", 0, "control character in request" },
	{ "show a\x7f", 0, "control character in request" },
	{ "show caf\xc3\xa9", 0,
	  "byte above 0x7e in request (write it %XX)" },
};

static void test_bad_requests(void **state)
{
	struct ctlproto_request req;
	const char *why;
	size_t i, len;

	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]);
	     i++) {
		why = NULL;
		len = bad_requests[i].len ? bad_requests[i].len
					  : strlen(bad_requests[i].line);
		assert_int_equal(ctlproto_parse_request(bad_requests[i].line,
							len, &req, &why),
				 -1);
		assert_non_null(why);
		assert_string_equal(why, bad_requests[i].why);
	}
}

/* Limits: the longest request that fits, one byte more, too many words. */
static void test_limits(void **state)
{
	char *line = malloc(CTLPROTO_MAX_REQUEST + 1);
	char buf[CTLPROTO_MAX_REQUEST], word[CTLPROTO_MAX_REQUEST];
	char *argv[CTLPROTO_MAX_ARGS + 3];
	struct ctlproto_request req;
	const char *why = NULL;
	int i;

	memset(line, 'a', CTLPROTO_MAX_REQUEST);
	assert_int_equal(ctlproto_parse_request(line,
			CTLPROTO_MAX_REQUEST - 1, &req, &why), 0);
	assert_int_equal(ctlproto_parse_request(line, CTLPROTO_MAX_REQUEST,
						&req, &why), -1);
	assert_string_equal(why, "request too long");

	for (i = 0; i < CTLPROTO_MAX_ARGS + 2; i++)
		argv[i] = "w";
	assert_true(ctlproto_encode_request(CTLPROTO_MAX_ARGS + 1, argv,
					    false, buf, sizeof(buf)) > 0);
	assert_int_equal(ctlproto_encode_request(CTLPROTO_MAX_ARGS + 2, argv,
						 false, buf, sizeof(buf)), -1);
	for (i = 0; i < CTLPROTO_MAX_ARGS + 2; i++)
		line[2 * i] = 'w', line[2 * i + 1] = ' ';
	assert_int_equal(ctlproto_parse_request(line,
			2 * (CTLPROTO_MAX_ARGS + 2) - 1, &req, &why), -1);
	assert_string_equal(why, "too many words in request");

	/* A word that only fits unescaped does not fit escaped. */
	memset(word, ' ', sizeof(word));
	word[CTLPROTO_MAX_REQUEST / 3] = '\0';
	argv[0] = word;
	assert_int_equal(ctlproto_encode_request(1, argv, false, buf,
						 sizeof(buf)), -1);
	argv[0] = "";
	assert_int_equal(ctlproto_encode_request(1, argv, false, buf,
						 sizeof(buf)), -1);
	free(line);
}

static const struct {
	const char *head;
	int ok;
	enum ctlproto_status st;
	size_t len;
} heads[] = {
	{ "ok 0", 0, CTLPROTO_OK, 0 },
	{ "nomatch 12", 0, CTLPROTO_NOMATCH, 12 },
	{ "error 40", 0, CTLPROTO_ERROR, 40 },
	{ "denied 7", 0, CTLPROTO_DENIED, 7 },
	{ "ok 536870912", 0, CTLPROTO_OK, CTLPROTO_MAX_BODY },
	{ "ok 536870913", -1 },
	{ "ok 99999999999999999999", -1 },
	{ "ok", -1 },
	{ "ok ", -1 },
	{ "ok -1", -1 },
	{ "ok 1x", -1 },
	{ "fine 1", -1 },
	{ "OK 1", -1 },
};

static void test_heads(void **state)
{
	enum ctlproto_status st;
	const char *why;
	size_t i, len;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		len = 12345;
		why = NULL;
		assert_int_equal(ctlproto_parse_head(heads[i].head,
				strlen(heads[i].head), &st, &len, &why),
				 heads[i].ok);
		if (heads[i].ok == 0) {
			assert_int_equal(st, heads[i].st);
			assert_int_equal(len, heads[i].len);
		} else {
			assert_non_null(why);
		}
	}
	assert_string_equal(ctlproto_status_name(CTLPROTO_NOMATCH), "nomatch");
}

static void test_buf(void **state)
{
	struct ctlproto_buf b;
	char big[1000];

	ctlproto_buf_init(&b);
	ctlproto_buf_printf(&b, "%s %d\n", "verdicts", 3);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ctlproto_buf_printf(&b, "%s", big);
	assert_int_equal(b.len, 11 + 999);
	assert_memory_equal(b.buf, "verdicts 3\nxxx", 14);
	assert_false(b.failed);
	ctlproto_buf_free(&b);
}

/* The JSON writer: documents compared as text a script would parse. */
static void test_json_document(void **state)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "address", "192.0.2.66");
	json_string(&j, "txt", "say \"hi\"\\\n\x01\x7f");
	json_string(&j, "utf8", "caf\xc3\xa9 \xff\xc3 \xed\xa0\x80");
	json_string(&j, "none", NULL);
	json_int(&j, "neg", -5);
	json_uint(&j, "big", UINT64_MAX);
	json_double(&j, "score", 2.5);
	json_double(&j, "nan", NAN);
	json_bool(&j, "t", true);
	json_array_begin(&j, "lists");
	json_object_begin(&j, NULL);
	json_stringn(&j, "name", "zen.example.x", 11);
	json_object_end(&j);
	json_uint(&j, NULL, 3);
	json_null(&j, NULL);
	json_array_end(&j);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_object_end(&j);
	assert_string_equal(json_done(&j),
		"{\"address\":\"192.0.2.66\","
		"\"txt\":\"say \\\"hi\\\"\\\\\\u000a\\u0001\\u007f\","
		"\"utf8\":\"caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd "
		"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
		"\"none\":null,\"neg\":-5,\"big\":18446744073709551615,"
		"\"score\":2.5,\"nan\":null,\"t\":true,"
		"\"lists\":[{\"name\":\"zen.example\"},3,null],"
		"\"empty\":[]}\n");
	/* json_done twice gives the same text. */
	assert_int_equal(strlen(json_done(&j)), j.len);
	json_free(&j);
}

/* Misuse ends in failure, never in a half-written document. */
static void test_json_misuse(void **state)
{
	struct json j;
	int i;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_uint(&j, NULL, 1); /* no key in an object */
	json_object_end(&j);
	assert_null(json_done(&j));
	json_free(&j);

	json_init(&j);
	json_array_begin(&j, NULL);
	json_uint(&j, "k", 1); /* a key in an array */
	assert_null(json_done(&j));
	json_free(&j);

	json_init(&j);
	json_array_begin(&j, NULL);
	json_object_end(&j); /* wrong kind */
	assert_null(json_done(&j));
	json_free(&j);

	json_init(&j);
	json_object_begin(&j, NULL); /* left open */
	assert_null(json_done(&j));
	json_free(&j);

	json_init(&j);
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_begin(&j, NULL);
	assert_true(j.failed);
	json_free(&j);

	json_init(&j);
	json_uint(&j, NULL, 1);
	json_uint(&j, NULL, 2); /* two documents */
	assert_null(json_done(&j));
	json_free(&j);
}

/*
 * serve_once - a child that accepts one connection, checks the request
 * line and answers with answer (len bytes).
 */
static pid_t serve_once(const char *path, const char *want,
			const char *answer, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[CTLPROTO_MAX_REQUEST];
	int lfd, cfd;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	strcpy(sun.sun_path, path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	cfd = accept(lfd, NULL, NULL);
	while (got < sizeof(line) - 1 &&
	       (n = read(cfd, line + got, 1)) == 1 && line[got] != '\n')
		got++;
	line[got] = '\0';
	if (strcmp(line, want) != 0)
		_exit(3);
	if (write(cfd, answer, len) != (ssize_t)len)
		_exit(4);
	close(cfd);
	_exit(0);
}

static void test_call(void **state)
{
	char path[] = "/tmp/test_ctlproto.XXXXXX";
	char sock[64];
	char *argv[] = { "show", "192.0.2.66", NULL };
	struct ctlproto_answer ans;
	const char *why = NULL;
	int status;
	pid_t pid;

	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/s", path);

	/* A normal answer. */
	pid = serve_once(sock, "--json show 192.0.2.66",
			 "nomatch 6\nabc\0de", 16);
	assert_int_equal(ctlproto_call(sock, 2, argv, true, 5000, &ans, &why),
			 0);
	assert_int_equal(ans.status, CTLPROTO_NOMATCH);
	assert_int_equal(ans.len, 6);
	assert_memory_equal(ans.body, "abc\0de", 6);
	free(ans.body);
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);

	/* A body shorter than announced. */
	pid = serve_once(sock, "show 192.0.2.66", "ok 10\nabc", 9);
	assert_int_equal(ctlproto_call(sock, 2, argv, false, 5000, &ans,
				       &why), -1);
	assert_string_equal(why, "the daemon closed the connection early");
	assert_null(ans.body);
	waitpid(pid, &status, 0);

	/* Nobody listening. */
	unlink(sock);
	assert_int_equal(ctlproto_call(sock, 2, argv, false, 5000, &ans,
				       &why), -1);
	assert_int_equal(errno, ENOENT);
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_json_misuse),
		cmocka_unit_test(test_call),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
