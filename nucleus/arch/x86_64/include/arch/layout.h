/*
 * The nucleus's virtual memory layout. Shared by C and assembly, so only
 * plain #defines here.
 *
 *   0x0000000000000000 .. 0x00007fffffffffff  user space (later issues)
 *   0xffff800000000000 ..                     direct map of physical memory
 *   0xffffc00000000000 ..                     nucleus stacks, each below a
 * guard page 0xffffd00000000000 ..                     device registers
 * (uncached) 0xffffe00000000000 ..                     scratch window for
 * self-tests 0xffffffff80000000 ..                     the nucleus image
 * (-mcmodel=kernel)
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

/* User space is [0, USER_TOP): the lower half less its last page. */
#define USER_TOP 0x00007ffffffff000

#define KERNEL_VMA	  0xffffffff80000000
#define DIRECT_MAP_BASE	  0xffff800000000000
#define STACK_AREA_BASE	  0xffffc00000000000
#define MMIO_AREA_BASE	  0xffffd00000000000
#define SCRATCH_AREA_BASE 0xffffe00000000000

#define PAGE_SIZE  4096
#define PAGE_SHIFT 12

/* Early direct map built by boot.S: the first 4 GiB, with 2 MiB pages. */
#define EARLY_DIRECT_MAP_LIMIT 0x100000000

#define KSTACK_PAGES 4

#endif
