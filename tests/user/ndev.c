/*
 * Device capability tests, run as the root domain (a driver, holding every
 * device): I/O ports (the COM1 scratch register), an interrupt line (the
 * RTC's periodic interrupt, IRQ 8, delivered to an event), device memory
 * (the VGA text buffer), and the rules: ranges, RAM and the nucleus's own
 * devices refused, device capabilities never given to non-drivers.
 */
#include <metta.h>
#include <metta/abi.h>
#include <metta/cap.h>
#include <stdint.h>

#include "utest.h"

#define COM1 40
#define RTC_PORTS 41
#define RTC_IRQ 42
#define EV 43
#define VGA 44
#define CHILD 45
#define VGA_VA 0x550000000000ull

extern const uint8_t _binary_child_start[], _binary_child_end[];

static int io_ports_within_range(void)
{
	UCHECK(metta_dev_mint(CAP_IOPORTS, COM1, 0x3f8, 8) == 0, "mint COM1");
	UCHECK(metta_ioport_out(COM1, 0x3ff, 1, 0x5a) == 0, "write scratch");
	UCHECK(metta_ioport_in(COM1, 0x3ff, 1) == 0x5a, "scratch register lost it");
	UCHECK(metta_ioport_out(COM1, 0x3ff, 1, 0xa5) == 0 &&
		       metta_ioport_in(COM1, 0x3ff, 1) == 0xa5, "second value");
	UCHECK(metta_ioport_in(COM1, 0x3f7, 1) == STATUS_ERR_RANGE, "port below");
	UCHECK(metta_ioport_in(COM1, 0x3ff, 2) == STATUS_ERR_RANGE, "runs past the end");
	UCHECK(metta_ioport_in(COM1, 0x3f8, 3) == STATUS_ERR_RANGE, "width 3");
	UCHECK(metta_dev_mint(COM1, 50, 0x3f0, 8) == STATUS_ERR_RANGE,
	       "minted beyond its parent");
	UCHECK(metta_dev_mint(COM1, 50, 0x3f8, 0) == STATUS_ERR_RANGE, "empty range");
	UCHECK(metta_dev_mint(CAP_SELF, 50, 0, 1) == STATUS_ERR_TYPE, "minted a domain");
	UCHECK(metta_ioport_in(CAP_IRQS, 0x3f8, 1) == STATUS_ERR_TYPE, "irq as ports");
	return 0;
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	metta_ioport_out(RTC_PORTS, 0x70, 1, 0x80 | reg); /* NMI stays off */
	metta_ioport_out(RTC_PORTS, 0x71, 1, v);
}

static uint8_t cmos_read(uint8_t reg)
{
	metta_ioport_out(RTC_PORTS, 0x70, 1, 0x80 | reg);
	return (uint8_t)metta_ioport_in(RTC_PORTS, 0x71, 1);
}

static int interrupts_arrive_as_events(void)
{
	UCHECK(metta_dev_mint(CAP_IOPORTS, RTC_PORTS, 0x70, 2) == 0, "mint ports");
	UCHECK(metta_dev_mint(CAP_IRQS, RTC_IRQ, 8, 1) == 0, "mint line 8");
	UCHECK(metta_event_create(EV) == 0, "event");
	UCHECK(metta_irq_bind(CAP_IRQS, EV, 1) == STATUS_ERR_RANGE,
	       "bound sixteen lines at once");
	UCHECK(metta_irq_bind(RTC_IRQ, EV, 0x4) == 0, "bind");
	cmos_read(0x0c); /* clear anything pending */
	cmos_write(0x0b, cmos_read(0x0b) | 0x40); /* periodic interrupts */
	int got = 0;
	for (int i = 0; i < 5; i++) {
		long r = metta_event_wait(EV, 0x4, 200000);
		if (r != 0x4)
			break;
		got++;
		cmos_read(0x0c); /* the RTC wants its status read */
		metta_irq_ack(RTC_IRQ);
	}
	cmos_write(0x0b, cmos_read(0x0b) & ~0x40);
	cmos_read(0x0c);
	UCHECK(got == 5, "%d of 5 interrupts arrived", got);
	UCHECK(metta_irq_bind(RTC_IRQ, 0xffffffffu, 0) == 0, "unbind");
	UCHECK(metta_irq_ack(RTC_IRQ) == STATUS_ERR_INVAL, "ack of an unbound line");
	return 0;
}

static int device_memory_but_not_ram(void)
{
	UCHECK(metta_mem_phys(CAP_PHYSMEM, VGA, 0xb8000, 1) == 0, "VGA text buffer");
	UCHECK(metta_mem_map(CAP_SELF, VGA, 0, VGA_VA, 1, RIGHT_READ | RIGHT_WRITE) == 0,
	       "map");
	volatile uint16_t *cell = (volatile uint16_t *)VGA_VA;
	cell[0] = 0x0741; /* 'A', grey on black */
	UCHECK(cell[0] == 0x0741, "device memory did not keep a value");
	metta_mem_unmap(CAP_SELF, VGA_VA);
	metta_cap_delete(VGA);
	UCHECK(metta_mem_phys(CAP_PHYSMEM, VGA, 0x100000, 1) == STATUS_ERR_DENIED,
	       "the nucleus image as device memory");
	UCHECK(metta_mem_phys(CAP_PHYSMEM, VGA, 0x1000000, 16) == STATUS_ERR_DENIED,
	       "RAM as device memory");
	UCHECK(metta_mem_phys(CAP_PHYSMEM, VGA, 0xfee00000, 1) == STATUS_ERR_DENIED,
	       "the local APIC");
	UCHECK(metta_mem_phys(CAP_PHYSMEM, VGA, 0xb8001, 1) == STATUS_ERR_RANGE,
	       "unaligned");
	return 0;
}

static int devices_go_to_drivers_only(void)
{
	const char *argv[] = { "child", "classes" }, *why;
	struct metta_spawn a = { .argc = 2, .argv = argv, .class = METTA_CLASS_APPLICATION, .prio = 1, .quota = 1 << 20 };
	UCHECK(metta_spawn(_binary_child_start,
			   (uint64_t)(_binary_child_end - _binary_child_start), &a,
			   CHILD, CHILD + 1, &why) == 0, "spawn");
	UCHECK(metta_cap_give(CHILD, COM1, 8, RIGHT_ALL) == STATUS_ERR_DENIED,
	       "I/O ports given to an application");
	UCHECK(metta_cap_give(CHILD, CAP_IRQS, 8, RIGHT_ALL) == STATUS_ERR_DENIED,
	       "interrupts given to an application");
	UCHECK(metta_cap_give(CHILD, CAP_PHYSMEM, 8, RIGHT_ALL) == STATUS_ERR_DENIED,
	       "device memory given to an application");
	metta_domain_kill(CHILD, 0);
	metta_cap_delete(CHILD + 1);
	metta_cap_delete(CHILD);
	/* Revoking the original takes the narrower ones with it. */
	UCHECK(metta_cap_revoke(CAP_IOPORTS) == 0, "revoke");
	UCHECK(metta_cap_info(COM1) == STATUS_ERR_BADCAP, "minted ports survived");
	UCHECK(metta_cap_info(CAP_IOPORTS) >> 32 == OBJ_IOPORT, "original went too");
	return 0;
}

static const struct utest tests[] = {
	{ "io_ports_within_range", io_ports_within_range },
	{ "interrupts_arrive_as_events", interrupts_arrive_as_events },
	{ "device_memory_but_not_ram", device_memory_but_not_ram },
	{ "devices_go_to_drivers_only", devices_go_to_drivers_only },
};

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	return utest_run(tests, sizeof(tests) / sizeof(tests[0]));
}
