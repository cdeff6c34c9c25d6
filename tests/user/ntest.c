/*
 * Nucleus tests from user space: the calls a native program makes, their
 * error paths, and what a user thread can rely on (registers, FPU state,
 * time). Run as the root domain by the system test harness.
 */
#include <metta.h>
#include <metta/syscall.h>
#include <metta/abi.h>
#include <stdint.h>
#include <string/kstring.h>

#include "utest.h"

static int log_writes(void)
{
	UCHECK(metta_log("hello from user space", 21) == STATUS_OK,
	       "log failed");
	return 0;
}

static int log_rejects_bad_pointers(void)
{
	long r = metta_log((const char *)0x10, 5);
	UCHECK(r == STATUS_ERR_FAULT, "unmapped pointer gave %ld", r);
	r = metta_log((const char *)0xffffffff80100000ul, 5);
	UCHECK(r == STATUS_ERR_FAULT, "nucleus address gave %ld", r);
	r = metta_log((const char *)0x7ffffffffff0ul, 100);
	UCHECK(r == STATUS_ERR_FAULT, "range past user space gave %ld", r);
	r = metta_log("x", 1ul << 40);
	UCHECK(r == STATUS_ERR_INVAL, "huge length gave %ld", r);
	return 0;
}

static int unknown_calls_are_refused(void)
{
	long r = metta_syscall(METTA_SYSCALL_BASE + 9999, 0, 0, 0, 0, 0, 0);
	UCHECK(r == STATUS_ERR_NOTSUP, "unknown Metta call gave %ld", r);
	r = metta_syscall(39 /* Linux getpid */, 0, 0, 0, 0, 0, 0);
	UCHECK(r == STATUS_ERR_NOTSUP, "Linux call number gave %ld", r);
	return 0;
}

static int clock_advances(void)
{
	long a = metta_clock(), b = metta_clock();
	UCHECK(a > 0 && b >= a, "clock went %ld -> %ld", a, b);
	return 0;
}

static int sleep_lasts_as_asked(void)
{
	long before = metta_clock();
	UCHECK(metta_sleep(20000) == STATUS_OK, "sleep failed");
	long slept = metta_clock() - before;
	UCHECK(slept >= 20000000, "slept only %ld ns", slept);
	UCHECK(slept < 20000000 + 10000000, "slept %ld ns for 20 ms", slept);
	return 0;
}

static int yield_returns(void)
{
	for (int i = 0; i < 100; i++)
		UCHECK(metta_yield() == STATUS_OK, "yield failed");
	return 0;
}

/* The nucleus must give back every register but rax, rcx and r11. */
static int calls_preserve_registers(void)
{
	static const uint64_t in[12] = { 0x1111, 0x2222, 0x3333, 0x4444,
					 0x5555, 0x6666, 0x7777, 0x8888,
					 0x9999, 0xaaaa, 0xbbbb, 0xcccc };
	uint64_t out[12];
	register const uint64_t *pin __asm__("r8") = in;
	register uint64_t *pout __asm__("r9") = out;
	/* rbp is the frame pointer: saved by hand around the test. */
	__asm__ volatile("pushq %%rbp\n\t"
			 "movq 0(%0), %%rbx\n\t"
			 "movq 8(%0), %%rbp\n\t"
			 "movq 16(%0), %%r12\n\t"
			 "movq 24(%0), %%r13\n\t"
			 "movq 32(%0), %%r14\n\t"
			 "movq 40(%0), %%r15\n\t"
			 "movq 48(%0), %%rdi\n\t"
			 "movq 56(%0), %%rsi\n\t"
			 "movq 64(%0), %%rdx\n\t"
			 "movq 72(%0), %%r10\n\t"
			 "movl $0x4d540004, %%eax\n\t" /* clock */
			 "syscall\n\t"
			 "movq %%rbx, 0(%1)\n\t"
			 "movq %%rbp, 8(%1)\n\t"
			 "movq %%r12, 16(%1)\n\t"
			 "movq %%r13, 24(%1)\n\t"
			 "movq %%r14, 32(%1)\n\t"
			 "movq %%r15, 40(%1)\n\t"
			 "movq %%rdi, 48(%1)\n\t"
			 "movq %%rsi, 56(%1)\n\t"
			 "movq %%rdx, 64(%1)\n\t"
			 "movq %%r10, 72(%1)\n\t"
			 "movq %%r8, 80(%1)\n\t"
			 "movq %%r9, 88(%1)\n\t"
			 "popq %%rbp\n\t"
			 :
			 : "r"(pin), "r"(pout)
			 : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r10",
			   "r11", "r12", "r13", "r14", "r15", "memory");
	for (int i = 0; i < 10; i++)
		UCHECK(out[i] == in[i], "register %d came back 0x%lx", i,
		       out[i]);
	UCHECK(out[10] == (uint64_t)in && out[11] == (uint64_t)out,
	       "r8/r9 changed");
	return 0;
}

/* SSE state survives a call that switches threads (sleep). */
static int fpu_state_survives_switches(void)
{
	volatile double x = 1.5;
	double acc = 0;
	for (int i = 0; i < 10; i++) {
		acc += x * i;
		metta_sleep(1000);
	}
	UCHECK(acc == 67.5, "sum came out %d/1000", (int)(acc * 1000));
	return 0;
}

#define INFO_VA 0x570000000000ull
#define MOD_VA 0x580000000000ull

/* The root domain is handed the boot information and every module. */
static int boot_modules_are_handed_over(void)
{
	UCHECK(metta_mem_map(CAP_SELF, CAP_BOOTINFO, 0, INFO_VA, 1, RIGHT_READ) == 0,
	       "map the boot information");
	const struct metta_bootinfo *b = (const struct metta_bootinfo *)INFO_VA;
	UCHECK(b->nmodules == 1, "%lu modules", b->nmodules);
	UCHECK(!strcmp(b->modules[0].name, "ntest"), "module '%s'", b->modules[0].name);
	int found = 0;
	for (int i = 0; b->cmdline[i]; i++)
		found |= !strncmp(b->cmdline + i, "root=ntest", 10);
	UCHECK(found, "command line '%s'", b->cmdline);
	uint64_t pages = (b->modules[0].size + 4095) / 4096;
	UCHECK(metta_mem_map(CAP_SELF, CAP_FIRST_MODULE, 0, MOD_VA, pages,
			     RIGHT_READ | RIGHT_WRITE) == STATUS_ERR_DENIED,
	       "a module mapped writable");
	UCHECK(metta_mem_map(CAP_SELF, CAP_FIRST_MODULE, 0, MOD_VA, pages, RIGHT_READ) == 0,
	       "map the module");
	UCHECK(!memcmp((const void *)MOD_VA, "\x7f" "ELF", 4), "module is not our ELF");
	metta_mem_unmap(CAP_SELF, MOD_VA);
	metta_mem_unmap(CAP_SELF, INFO_VA);
	return 0;
}

static const struct utest tests[] = {
	{ "log_writes", log_writes },
	{ "boot_modules_are_handed_over", boot_modules_are_handed_over },
	{ "log_rejects_bad_pointers", log_rejects_bad_pointers },
	{ "unknown_calls_are_refused", unknown_calls_are_refused },
	{ "clock_advances", clock_advances },
	{ "sleep_lasts_as_asked", sleep_lasts_as_asked },
	{ "yield_returns", yield_returns },
	{ "calls_preserve_registers", calls_preserve_registers },
	{ "fpu_state_survives_switches", fpu_state_survives_switches },
};

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	UCHECK(argc == 1, "argc %d", argc);
	metta_printf("ntest: running as %s", argv[0]);
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
