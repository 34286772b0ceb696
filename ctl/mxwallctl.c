/*
 * mxwallctl.c - the mxwall control tool: main() only.
 *
 * Placeholder until the ctl issue lands: prints its version.
 */
#include <stdio.h>

int main(void)
{
	printf("mxwallctl %s\n", MXWALL_VERSION);
	return 0;
}
