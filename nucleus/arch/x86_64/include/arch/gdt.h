#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b /* 0x18 | RPL 3; sysret wants user data below code */
#define SEL_UCODE 0x23
#define SEL_TSS	  0x28

/* Interrupt stack table slots (1-based, as the IDT encodes them). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI		  2
#define IST_MACHINE_CHECK 3

#ifndef __ASSEMBLER__
struct arch_cpu;

/* Fills and loads a CPU's GDT and TSS, with the tops of its IST stacks
 * for #DF, NMI and #MC (in that order). */
void gdt_load(struct arch_cpu *ac, const uint64_t ist_tops[3]);
#endif

#endif
