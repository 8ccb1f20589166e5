// SPDX-License-Identifier: GPL-2.0
/* A small vsnprintf for guest messages: %d %i %u %x %X %p %s %c %%, with
 * '0' and '-' flags, a width, and the l, ll, z length modifiers. */
#include <stdarg.h>

#include "guest.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left && pad == '0' && n && (*s == '-')) {	/* sign before zeros */
		put(o, *s++);
		n--;
	}
	if (!left)
		while (fill-- > 0)
			put(o, pad);
	while (n--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

static size_t utoa(char *end, uint64_t v, unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0;

	do {
		*--end = digits[v % base];
		v /= base;
		n++;
	} while (v);
	return n;
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	char tmp[24];

	for (; *fmt; fmt++) {
		bool left = false;
		char pad = ' ';
		int width = 0, lng = 0;
		uint64_t u;
		size_t n;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			bool neg = v < 0;

			u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			n = utoa(tmp + sizeof(tmp), u, 10, false);
			if (neg) {
				tmp[sizeof(tmp) - n - 1] = '-';
				n++;
			}
			put_padded(&o, tmp + sizeof(tmp) - n, n, width, left, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			n = utoa(tmp + sizeof(tmp), u, *fmt == 'u' ? 10 : 16, *fmt == 'X');
			put_padded(&o, tmp + sizeof(tmp) - n, n, width, left, pad);
			break;
		case 'p':
			u = (uint64_t)(uintptr_t)va_arg(ap, void *);
			n = utoa(tmp + sizeof(tmp), u, 16, false);
			tmp[sizeof(tmp) - n - 1] = 'x';
			tmp[sizeof(tmp) - n - 2] = '0';
			put_padded(&o, tmp + sizeof(tmp) - n - 2, n + 2, width, left, ' ');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			put_padded(&o, s, guest_strlen(s), width, left, ' ');
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&o, tmp, 1, width, left, ' ');
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:	/* unknown conversion: print it as is */
			put(&o, '%');
			put(&o, *fmt);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int guest_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = guest_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
