/* Command line parsing: see cmdline.h. */
#include "cmdline.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

const char *cmdline_find(const char *cmdline, const char *key, size_t *len)
{
	const char *found = NULL;
	size_t klen = 0;
	while (key[klen])
		klen++;
	if (klen == 0)
		return NULL;
	for (const char *p = cmdline; *p;) {
		while (is_space(*p))
			p++;
		const char *word = p;
		while (*p && !is_space(*p))
			p++;
		size_t wlen = (size_t)(p - word), i = 0;
		while (i < klen && i < wlen && word[i] == key[i])
			i++;
		if (i != klen)
			continue;
		if (wlen == klen) {
			found = word + wlen;
			*len = 0;
		} else if (word[klen] == '=') {
			found = word + klen + 1;
			*len = wlen - klen - 1;
		}
	}
	return found;
}

int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
	size_t len;
	const char *v = cmdline_find(cmdline, key, &len);
	if (!v || size == 0)
		return 0;
	if (len > size - 1)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		buf[i] = v[i];
	buf[len] = 0;
	return 1;
}

unsigned long cmdline_number(const char *cmdline, const char *key,
			     unsigned long fallback)
{
	size_t len;
	const char *v = cmdline_find(cmdline, key, &len);
	if (!v || len == 0 || len > 18)
		return fallback;
	unsigned long n = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fallback;
		n = n * 10 + (unsigned long)(v[i] - '0');
	}
	return n;
}

int cmdline_is(const char *cmdline, const char *key, const char *value)
{
	size_t len, i;
	const char *v = cmdline_find(cmdline, key, &len);
	if (!v)
		return 0;
	for (i = 0; i < len && value[i] && v[i] == value[i]; i++)
		;
	return i == len && value[i] == 0;
}
