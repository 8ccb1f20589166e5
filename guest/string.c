// SPDX-License-Identifier: GPL-2.0
/* The few string functions guest code needs; libc's are not in the guest. */
#include "guest.h"

void *guest_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *guest_memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int guest_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t guest_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
