#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#include <stdint.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b /* 0x18 | RPL 3; sysret wants user data below code */
#define SEL_UCODE 0x23
#define SEL_TSS	  0x28

/* Interrupt stack table slots (1-based, as the IDT encodes them). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI		  2
#define IST_MACHINE_CHECK 3

/* Loads this CPU's GDT and TSS (with IST stacks for #DF, NMI and #MC). */
void gdt_init(void);

/* The IST stack ranges, so a backtrace knows where it may walk. */
int gdt_ist_stack(int ist, uint64_t *bottom, uint64_t *top);

#endif
