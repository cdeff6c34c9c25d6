/* The initial stack of a new program: see stack.h. */
#include "stack.h"
#include "elf.h"

enum {
	AT_NULL = 0,
	AT_PHDR = 3,
	AT_PHENT = 4,
	AT_PHNUM = 5,
	AT_PAGESZ = 6,
	AT_BASE = 7,
	AT_ENTRY = 9,
	AT_UID = 11,
	AT_EUID = 12,
	AT_GID = 13,
	AT_EGID = 14,
	AT_HWCAP = 16,
	AT_CLKTCK = 17,
	AT_SECURE = 23,
	AT_RANDOM = 25,
	AT_EXECFN = 31,
};

#define AUXV_ENTRIES 18

struct builder {
	uint8_t *buf;
	size_t size;
	uint64_t top;
	uint64_t sp;
	int overflow;
};

static uint64_t push(struct builder *b, const void *p, size_t n)
{
	if (b->overflow || n > b->sp - (b->top - b->size)) {
		b->overflow = 1;
		return 0;
	}
	b->sp -= n;
	uint8_t *dst = b->buf + (b->sp - (b->top - b->size));
	for (size_t i = 0; i < n; i++)
		dst[i] = ((const uint8_t *)p)[i];
	return b->sp;
}

static uint64_t push_string(struct builder *b, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return push(b, s, n + 1);
}

static void push_word(struct builder *b, uint64_t w)
{
	push(b, &w, sizeof(w));
}

uint64_t elf_build_stack(uint8_t *buf, size_t size, uint64_t top,
			 const struct elf_image *img,
			 const struct stack_args *a)
{
	struct builder b = { buf, size, top, top, 0 };
	uint64_t argv_at[64], envp_at[64];
	if (a->argc < 1 || a->argc > 64 || a->envc < 0 || a->envc > 64)
		return 0;
	for (int i = a->envc - 1; i >= 0; i--)
		envp_at[i] = push_string(&b, a->envp[i]);
	for (int i = a->argc - 1; i >= 0; i--)
		argv_at[i] = push_string(&b, a->argv[i]);
	uint64_t random_at = push(&b, a->random, 16);
	uint64_t ns_at = a->ns ? push_string(&b, a->ns) : 0;
	const uint64_t auxv[AUXV_ENTRIES][2] = {
		{ AT_PHDR, img->phdr_vaddr ? img->phdr_vaddr + a->bias : 0 },
		{ AT_PHENT, img->phentsize },
		{ AT_PHNUM, img->phnum },
		{ AT_PAGESZ, 4096 },
		{ AT_ENTRY, img->entry + a->bias },
		{ AT_UID, 0 },
		{ AT_EUID, 0 },
		{ AT_GID, 0 },
		{ AT_EGID, 0 },
		{ AT_HWCAP, a->hwcap },
		{ AT_CLKTCK, 100 },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, random_at },
		{ AT_EXECFN, argv_at[0] },
		{ AT_BASE, a->base },
		{ AT_METTA_NS, ns_at },
		{ AT_METTA_STACK, a->stack_low },
		{ AT_NULL, 0 },
	};
	/* Words below the strings: argc, argv, NULL, envp, NULL, auxv. */
	size_t words =
	    1 + (size_t)a->argc + 1 + (size_t)a->envc + 1 + 2 * AUXV_ENTRIES;
	b.sp &= ~15ull;
	if (words % 2)
		b.sp -= 8; /* so that rsp is 16-byte aligned at argc */
	for (int i = AUXV_ENTRIES - 1; i >= 0; i--) {
		push_word(&b, auxv[i][1]);
		push_word(&b, auxv[i][0]);
	}
	push_word(&b, 0);
	for (int i = a->envc - 1; i >= 0; i--)
		push_word(&b, envp_at[i]);
	push_word(&b, 0);
	for (int i = a->argc - 1; i >= 0; i--)
		push_word(&b, argv_at[i]);
	push_word(&b, (uint64_t)a->argc);
	return b.overflow ? 0 : b.sp;
}
