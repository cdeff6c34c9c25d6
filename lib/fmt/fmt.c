/* printf engine: see fmt.h for what it supports. */
#include "fmt.h"

#include <stdint.h>

enum {
	F_LEFT = 1,
	F_PLUS = 2,
	F_SPACE = 4,
	F_ALT = 8,
	F_ZERO = 16,
};

struct spec {
	unsigned flags;
	int width;
	int prec;    /* -1: none given */
	char length; /* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't', 0 */
	char conv;
};

struct out {
	fmt_put_fn put;
	void *ctx;
	int count;
};

static void emit(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	o->put(o->ctx, s, n);
	o->count += (int)n;
}

static void emit_repeat(struct out *o, char c, int n)
{
	char chunk[16];
	for (int i = 0; i < (int)sizeof(chunk); i++)
		chunk[i] = c;
	while (n > 0) {
		int k = n < (int)sizeof(chunk) ? n : (int)sizeof(chunk);
		emit(o, chunk, (size_t)k);
		n -= k;
	}
}

static const char *parse_number(const char *p, int *value)
{
	int v = 0;
	while (*p >= '0' && *p <= '9') {
		if (v < 100000000)
			v = v * 10 + (*p - '0');
		p++;
	}
	*value = v;
	return p;
}

/* Parses flags, width, precision and length; leaves p at the conversion. */
static const char *parse_spec(const char *p, struct spec *s, va_list *ap)
{
	s->flags = 0;
	for (;; p++) {
		if (*p == '-')
			s->flags |= F_LEFT;
		else if (*p == '+')
			s->flags |= F_PLUS;
		else if (*p == ' ')
			s->flags |= F_SPACE;
		else if (*p == '#')
			s->flags |= F_ALT;
		else if (*p == '0')
			s->flags |= F_ZERO;
		else
			break;
	}
	s->width = 0;
	if (*p == '*') {
		s->width = va_arg(*ap, int);
		if (s->width < 0) {
			s->flags |= F_LEFT;
			s->width = -s->width;
		}
		p++;
	} else {
		p = parse_number(p, &s->width);
	}
	s->prec = -1;
	if (*p == '.') {
		p++;
		if (*p == '*') {
			s->prec = va_arg(*ap, int);
			if (s->prec < 0)
				s->prec = -1;
			p++;
		} else {
			p = parse_number(p, &s->prec);
		}
	}
	s->length = 0;
	if (p[0] == 'h' && p[1] == 'h') {
		s->length = 'H';
		p += 2;
	} else if (p[0] == 'l' && p[1] == 'l') {
		s->length = 'L';
		p += 2;
	} else if (*p == 'h' || *p == 'l' || *p == 'z' || *p == 'j' ||
		   *p == 't') {
		s->length = *p++;
	}
	s->conv = *p;
	return p;
}

static uint64_t fetch_unsigned(const struct spec *s, va_list *ap)
{
	switch (s->length) {
	case 'H':
		return (unsigned char)va_arg(*ap, unsigned);
	case 'h':
		return (unsigned short)va_arg(*ap, unsigned);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'z':
		return va_arg(*ap, size_t);
	case 'j':
		return va_arg(*ap, uintmax_t);
	case 't':
		return (uint64_t)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned);
	}
}

static int64_t fetch_signed(const struct spec *s, va_list *ap)
{
	switch (s->length) {
	case 'H':
		return (signed char)va_arg(*ap, int);
	case 'h':
		return (short)va_arg(*ap, int);
	case 'l':
		return va_arg(*ap, long);
	case 'L':
		return va_arg(*ap, long long);
	case 'z':
		return (int64_t)va_arg(*ap, size_t);
	case 'j':
		return va_arg(*ap, intmax_t);
	case 't':
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

/* Writes the digits of v in base into the end of buf; returns the start. */
static char *digits(char *end, uint64_t v, unsigned base, int upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;
	do {
		*--p = set[v % base];
		v /= base;
	} while (v);
	return p;
}

/* Lays out sign/prefix, zero padding and digits within the field width. */
static void emit_integer(struct out *o, const struct spec *s,
			 const char *prefix, const char *num, int numlen)
{
	int plen = 0;
	while (prefix[plen])
		plen++;
	int zeros = 0;
	if (s->prec >= 0) {
		if (s->prec == 0 && numlen == 1 && num[0] == '0')
			numlen = 0; /* "%.0d" of zero prints nothing */
		if (s->prec > numlen)
			zeros = s->prec - numlen;
	} else if ((s->flags & F_ZERO) && !(s->flags & F_LEFT) &&
		   s->width > plen + numlen) {
		zeros = s->width - plen - numlen;
	}
	int pad = s->width - plen - zeros - numlen;
	if (pad > 0 && !(s->flags & F_LEFT))
		emit_repeat(o, ' ', pad);
	emit(o, prefix, (size_t)plen);
	emit_repeat(o, '0', zeros);
	emit(o, num, (size_t)numlen);
	if (pad > 0 && (s->flags & F_LEFT))
		emit_repeat(o, ' ', pad);
}

static void format_integer(struct out *o, struct spec *s, va_list *ap)
{
	char buf[24], *end = buf + sizeof(buf), *num;
	const char *prefix = "";
	uint64_t v;

	if (s->conv == 'd' || s->conv == 'i') {
		int64_t sv = fetch_signed(s, ap);
		/* Negate in unsigned arithmetic so INT64_MIN works. */
		v = sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv;
		if (sv < 0)
			prefix = "-";
		else if (s->flags & F_PLUS)
			prefix = "+";
		else if (s->flags & F_SPACE)
			prefix = " ";
		num = digits(end, v, 10, 0);
	} else if (s->conv == 'p') {
		v = (uint64_t)(uintptr_t)va_arg(*ap, void *);
		prefix = "0x";
		num = digits(end, v, 16, 0);
	} else {
		v = fetch_unsigned(s, ap);
		unsigned base = s->conv == 'u' ? 10 : s->conv == 'o' ? 8 : 16;
		num = digits(end, v, base, s->conv == 'X');
		if ((s->flags & F_ALT) && v != 0 && base == 16)
			prefix = s->conv == 'X' ? "0X" : "0x";
		else if ((s->flags & F_ALT) && base == 8 && num[0] != '0')
			*--num = '0';
	}
	emit_integer(o, s, prefix, num, (int)(end - num));
}

static void format_string(struct out *o, const struct spec *s, const char *str)
{
	if (!str)
		str = "(null)";
	int len = 0;
	while (str[len] && (s->prec < 0 || len < s->prec))
		len++;
	int pad = s->width - len;
	if (pad > 0 && !(s->flags & F_LEFT))
		emit_repeat(o, ' ', pad);
	emit(o, str, (size_t)len);
	if (pad > 0 && (s->flags & F_LEFT))
		emit_repeat(o, ' ', pad);
}

int fmt_vprint(fmt_put_fn put, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { put, ctx, 0 };
	va_list args;
	va_copy(args, ap);
	const char *p = fmt;
	while (*p) {
		const char *start = p;
		while (*p && *p != '%')
			p++;
		emit(&o, start, (size_t)(p - start));
		if (!*p)
			break;
		const char *percent = p;
		struct spec s;
		p = parse_spec(p + 1, &s, &args);
		switch (s.conv) {
		case 'd':
		case 'i':
		case 'u':
		case 'o':
		case 'x':
		case 'X':
		case 'p':
			format_integer(&o, &s, &args);
			break;
		case 's':
			format_string(&o, &s, va_arg(args, const char *));
			break;
		case 'c': {
			char c = (char)va_arg(args, int);
			struct spec cs = s;
			cs.prec = 1;
			char str[2] = { c, 0 };
			if (c == 0) { /* a NUL char still takes one byte */
				emit(&o, "", 1);
				break;
			}
			format_string(&o, &cs, str);
			break;
		}
		case '%':
			emit(&o, "%", 1);
			break;
		case '\0':
			/* A lone '%' at the end: print it rather than lose it.
			 */
			emit(&o, percent, (size_t)(p - percent));
			continue;
		default:
			emit(&o, percent, (size_t)(p + 1 - percent));
			break;
		}
		p++;
	}
	va_end(args);
	return o.count;
}

struct strbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void strbuf_put(void *ctx, const char *s, size_t n)
{
	struct strbuf *b = ctx;
	for (size_t i = 0; i < n; i++, b->len++)
		if (b->size && b->len < b->size - 1)
			b->buf[b->len] = s[i];
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct strbuf b = { buf, size, 0 };
	int n = fmt_vprint(strbuf_put, &b, fmt, ap);
	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
