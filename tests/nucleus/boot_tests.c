/*
 * Self-tests of what the boot found. The test harness tells the nucleus
 * what to expect on the command line (expect_cpus=, expect_mib=, marker=)
 * and boots it with a known module.
 */
#include <arch/paging.h>
#include <cmdline.h>
#include <fmt/fmt.h>
#include <string/kstring.h>
#include <selftest.h>

/*
 * The harness boots with a module of MODULE_LINES numbered lines, longer
 * than three pages, so that most of its pages share nothing with other
 * reserved memory and only the module's own reservation protects them.
 */
#define TEST_MODULE	"selftest-module.txt"
#define MODULE_LINES	400
#define MODULE_LINE_LEN 34 /* "metta self-test module line 00000\n" */

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
	FAIL_IF((unsigned long)t->bi->ncpus != want,
		"MADT lists %d CPUs, QEMU has %lu", t->bi->ncpus, want);
	return 0;
}

SELFTEST(memory_size_from_memory_map)
{
	unsigned long want = cmdline_number(t->bi->cmdline, "expect_mib", 0);
	uint64_t mib = t->bi->ram_bytes >> 20;
	FAIL_IF(want == 0, "no expect_mib= on the command line");
	/* Firmware keeps a little: BIOS area, ACPI tables. */
	FAIL_IF(mib > want || mib + 2 < want, "%lu MiB usable of %lu MiB", mib,
		want);
	return 0;
}

static int module_text_ok(const char *text)
{
	char want[MODULE_LINE_LEN + 1];
	for (int i = 0; i < MODULE_LINES; i++) {
		fmt_snprintf(want, sizeof(want),
			     "metta self-test module line %05d\n", i);
		if (memcmp(text + i * MODULE_LINE_LEN, want, MODULE_LINE_LEN))
			return 0;
	}
	return 1;
}

SELFTEST(module_loaded_and_reserved)
{
	const struct boot_module *m = NULL;
	for (int i = 0; i < t->bi->nmodules; i++)
		if (!strcmp(t->bi->modules[i].name, TEST_MODULE))
			m = &t->bi->modules[i];
	FAIL_IF(!m, "module %s not loaded", TEST_MODULE);
	FAIL_IF(m->len != MODULE_LINES * MODULE_LINE_LEN, "module is %lu bytes",
		m->len);
	FAIL_IF(!module_text_ok(phys_to_virt(m->phys)),
		"module content differs");
	FAIL_IF(m->phys % PAGE_SIZE, "module not page-aligned");
	for (uint64_t a = m->phys; a < m->phys + m->len; a += PAGE_SIZE)
		FAIL_IF(pmm_is_usable(t->bi->pmm, a),
			"module page 0x%lx allocatable", a);
	return 0;
}
