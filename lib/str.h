/*
 * str.h - small string helpers shared by the daemon and mxwallctl.
 *
 * str_copy(dst, len, src) copies at most len - 1 bytes of src into dst
 * and always terminates dst (len must be at least 1); a NULL src gives
 * "". It never allocates and never reads past src's terminator.
 */
#ifndef MXWALL_STR_H
#define MXWALL_STR_H

#include <stddef.h>

void str_copy(char *dst, size_t len, const char *src);

#endif
