/*
 * str.c - small string helpers (see str.h). Never allocates.
 */
#include "str.h"

/* str_copy - bounded copy, always terminated; NULL copies as "". */
void str_copy(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	while (src && n + 1 < len && src[n]) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = 0;
}
