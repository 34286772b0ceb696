/*
 * fuzz.h - small helpers shared by mxwall's libFuzzer targets.
 *
 * Each target is one file tests/fuzz/fuzz_NAME.c defining
 * LLVMFuzzerTestOneInput; its "FUZZ_SOURCES:" comment lines (one or
 * more) list the project sources it is linked with and "FUZZ_LIBS:" the
 * libraries (tests/fuzz/run.sh reads both). A target checks the contracts its
 * parser's header promises, not only that nothing crashes: a broken
 * promise calls fuzz_fail(), which aborts so libFuzzer saves the input.
 */
#ifndef MXWALL_FUZZ_H
#define MXWALL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_fail - report a broken contract and abort; libFuzzer keeps the input. */
#define fuzz_fail(...)                                                     \
	do {                                                               \
		fprintf(stderr, "fuzz: %s:%d: ", __FILE__, __LINE__);      \
		fprintf(stderr, __VA_ARGS__);                              \
		fputc('\n', stderr);                                       \
		abort();                                                   \
	} while (0)

/*
 * fuzz_cstr - a NUL-terminated copy of data[0..size) in buf (of buflen
 * bytes), cut at the first NUL and at buflen - 1 bytes.
 */
static inline char *fuzz_cstr(char *buf, size_t buflen, const uint8_t *data,
			      size_t size)
{
	size_t n = size < buflen - 1 ? size : buflen - 1;

	memcpy(buf, data, n);
	buf[n] = '\0';
	return buf;
}

#endif
