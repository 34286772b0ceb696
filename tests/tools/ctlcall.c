/*
 * ctlcall.c - send one control-socket request and print the answer, for
 * the integration suites (independent of mxwallctl's own options).
 *
 * usage: ctlcall SOCKET COMMAND [ARG...]
 * Prints the answer's body on stdout; exits 0 (ok), 2 (nomatch) or 1
 * (error, denied, or no answer; the reason on stderr).
 */
#include "ctlproto.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct ctlproto_answer ans;
	const char *why;

	if (argc < 3) {
		fprintf(stderr, "usage: ctlcall SOCKET COMMAND [ARG...]\n");
		return 1;
	}
	if (ctlproto_call(argv[1], argc - 2, argv + 2, false, 10000, &ans,
			  &why) < 0) {
		fprintf(stderr, "ctlcall: %s: %s\n", argv[1], why);
		return 1;
	}
	fwrite(ans.body, 1, ans.len, stdout);
	free(ans.body);
	switch (ans.status) {
	case CTLPROTO_OK:
		return 0;
	case CTLPROTO_NOMATCH:
		return 2;
	default:
		return 1;
	}
}
