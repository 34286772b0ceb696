/*
 * fuzz_ctlproto.c - libFuzzer target for the control protocol
 * (lib/ctlproto.c): the request line mxwalld reads from any local user
 * allowed on the control socket, and the answer head mxwallctl reads.
 *
 * Checks, beyond "no crash": a parsed request has 1..CTLPROTO_MAX_ARGS+1
 * non-empty words that stay inside the request's store; re-encoding the
 * decoded words and parsing them again gives the same words (the
 * encoding is lossless); a parsed answer head has a known status and a
 * length within CTLPROTO_MAX_BODY.
 *
 * FUZZ_SOURCES: lib/ctlproto.c
 * FUZZ_LIBS:
 */
#include "ctlproto.h"
#include "fuzz.h"

/* check_request - the shape ctlproto.h promises for a parsed request. */
static void check_request(const struct ctlproto_request *req)
{
	const char *lo = req->store, *hi = req->store + sizeof(req->store);
	int i;

	if (req->argc < 1 || req->argc > CTLPROTO_MAX_ARGS + 1)
		fuzz_fail("argc %d", req->argc);
	for (i = 0; i < req->argc; i++) {
		if (req->argv[i] < lo || req->argv[i] >= hi)
			fuzz_fail("argv[%d] outside the store", i);
		if (!req->argv[i][0])
			fuzz_fail("argv[%d] empty", i);
		if (!memchr(req->argv[i], '\0', (size_t)(hi - req->argv[i])))
			fuzz_fail("argv[%d] not terminated", i);
	}
	if (req->argv[req->argc])
		fuzz_fail("argv not NULL-terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctlproto_request req, again;
	static char line[CTLPROTO_MAX_REQUEST + 8];
	enum ctlproto_status st;
	const char *why = NULL;
	size_t body_len;
	int n, i;

	if (ctlproto_parse_request((const char *)data, size, &req, &why)) {
		if (!why)
			fuzz_fail("request refused without a reason");
	} else {
		check_request(&req);
		n = ctlproto_encode_request(req.argc, req.argv, req.json,
					    line, sizeof(line));
		if (n > 0) {
			if (line[n - 1] != '\n')
				fuzz_fail("encoded request without LF");
			if (ctlproto_parse_request(line, (size_t)n - 1, &again,
						   &why))
				fuzz_fail("own encoding refused: %s", why);
			if (again.argc != req.argc || again.json != req.json)
				fuzz_fail("round trip changed the words");
			for (i = 0; i < req.argc; i++)
				if (strcmp(again.argv[i], req.argv[i]))
					fuzz_fail("round trip changed word %d",
						  i);
		}
	}

	why = NULL;
	if (ctlproto_parse_head((const char *)data, size, &st, &body_len,
				&why) == 0) {
		if ((unsigned)st > CTLPROTO_DENIED)
			fuzz_fail("status %d", (int)st);
		if (body_len > CTLPROTO_MAX_BODY)
			fuzz_fail("body length %zu", body_len);
		if (!ctlproto_status_name(st))
			fuzz_fail("no name for status %d", (int)st);
	} else if (!why) {
		fuzz_fail("head refused without a reason");
	}
	return 0;
}
