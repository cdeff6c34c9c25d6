/*
 * Self-tests of what the boot found. The test harness tells the nucleus
 * what to expect on the command line (expect_cpus=, expect_mib=, marker=)
 * and boots it with a known module.
 */
#include <arch/paging.h>
#include <cmdline.h>
#include <kstring.h>
#include <selftest.h>

#define TEST_MODULE "selftest.txt"
#define TEST_MODULE_TEXT "Metta self-test module\n"

SELFTEST(command_line_reaches_the_nucleus)
{
	char v[32];
	FAIL_IF(!cmdline_get(t->bi->cmdline, "marker", v, sizeof(v)),
		"no marker= in \"%s\"", t->bi->cmdline);
	FAIL_IF(strcmp(v, "hello-metta"), "marker is \"%s\"", v);
	return 0;
}

SELFTEST(cpu_count_from_madt)
{
	unsigned long want = cmdline_number(t->bi->cmdline, "expect_cpus", 0);
	FAIL_IF(want == 0, "no expect_cpus= on the command line");
	FAIL_IF((unsigned long)t->bi->ncpus != want, "MADT lists %d CPUs, QEMU has %lu",
		t->bi->ncpus, want);
	return 0;
}

SELFTEST(memory_size_from_memory_map)
{
	unsigned long want = cmdline_number(t->bi->cmdline, "expect_mib", 0);
	uint64_t mib = t->bi->ram_bytes >> 20;
	FAIL_IF(want == 0, "no expect_mib= on the command line");
	/* Firmware keeps a little: BIOS area, ACPI tables. */
	FAIL_IF(mib > want || mib + 2 < want, "%lu MiB usable of %lu MiB", mib, want);
	return 0;
}

SELFTEST(module_loaded_and_reserved)
{
	const struct boot_module *m = NULL;
	for (int i = 0; i < t->bi->nmodules; i++)
		if (!strcmp(t->bi->modules[i].name, TEST_MODULE))
			m = &t->bi->modules[i];
	FAIL_IF(!m, "module %s not loaded", TEST_MODULE);
	FAIL_IF(m->len != strlen(TEST_MODULE_TEXT), "module is %lu bytes", m->len);
	FAIL_IF(memcmp(phys_to_virt(m->phys), TEST_MODULE_TEXT, m->len),
		"module content differs");
	FAIL_IF(m->phys % PAGE_SIZE, "module not page-aligned");
	for (uint64_t a = m->phys; a < m->phys + m->len; a += PAGE_SIZE)
		FAIL_IF(pmm_is_usable(t->bi->pmm, a), "module page 0x%lx allocatable", a);
	return 0;
}
