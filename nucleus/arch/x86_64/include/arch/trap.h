#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdint.h>

/* What entry.S pushes, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define VEC_PAGE_FAULT 14
#define VEC_PIC_BASE   0x20 /* the masked legacy PIC's spurious IRQs */
#define VEC_TIMER      0xf0 /* LAPIC timer */
#define VEC_SPURIOUS   0xff /* LAPIC spurious */
#define VEC_SYSCALL    0x100 /* not real vectors: a syscall frame, */
#define VEC_REFLECT    0x101 /* and one reflected to the runtime */

/* Fills the IDT (all 256 vectors) and loads it. */
void idt_init(void);
/* Loads the (filled) IDT on another CPU. */
void idt_load(void);

/* Handler for a device or timer vector (32..255); runs with interrupts off. */
typedef void (*irq_handler_fn)(struct trap_frame *frame);
void trap_set_handler(uint8_t vector, irq_handler_fn fn);

/* Reads/writes 8 bytes that may be unmapped: 0 or STATUS_ERR_FAULT. */
int safe_read64(const void *addr, uint64_t *out);
int safe_write64(void *addr, uint64_t value);

/* Switches to a fresh stack and calls fn(arg) on it; never returns. */
void call_on_stack(void *stack_top, void (*fn)(void *), void *arg)
    __attribute__((noreturn));

/* Prints the frame-pointer backtrace starting at (rip, rbp). */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif
