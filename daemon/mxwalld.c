/*
 * mxwalld.c - the mxwall daemon: main() only.
 *
 * Placeholder until the daemon issue lands: prints its version.
 */
#include <stdio.h>

int main(void)
{
	printf("mxwalld %s\n", MXWALL_VERSION);
	return 0;
}
