/*
 * pci: the PCI bus manager. It finds every PCI function, serves them as
 * files (files.c), starts a driver for each device it knows with exactly
 * that device's BARs, MSI lines and configuration space (drivers.c,
 * portal.c) and restarts a driver that ends. Started by root, a driver-
 * class service: metta/driver.h lists the slots root gives it.
 * Threads: this one serves the files, one the config portal, one watches
 * the drivers.
 */
#include <9p/portal.h>
#include <metta/proto.h>
#include <server/server.h>

#include "pci.h"

static uint8_t config_stack[16384] __attribute__((aligned(16)));
static uint8_t watch_stack[16384] __attribute__((aligned(16)));

static const server_op ops[] = { P9_PORTAL_OPS };
static const struct server files = { DRIVER_SLOT_PORTAL, ops,
				     sizeof(ops) / sizeof(ops[0]) };

static long thread(void (*fn)(void), uint8_t *stack_top)
{
	uint32_t t = metta_slot_alloc();
	long rc = metta_thread_create(CAP_SELF, t, (uint64_t)fn,
				      (uint64_t)stack_top - 8, METTA_PRIO_HIGH);
	if (rc == 0)
		rc = metta_thread_ctl(t, THREAD_START, 0);
	return rc;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	long rc = pci_enumerate();
	if (rc) {
		metta_printf("pci: no configuration space: %s",
			     status_text((int)rc));
		return 1;
	}
	metta_printf("pci: %d functions", pci_ndevs);
	pci_config_portal = metta_slot_alloc();
	rc = metta_portal_create(pci_config_portal);
	if (rc == 0)
		rc = thread(pci_config_serve,
			    config_stack + sizeof(config_stack));
	if (rc) {
		metta_printf("pci: no config portal: %s", status_text((int)rc));
		return 1;
	}
	pci_files_init();
	pci_drivers_start();
	rc = thread(pci_drivers_watch, watch_stack + sizeof(watch_stack));
	if (rc)
		metta_printf("pci: drivers are not watched: %s",
			     status_text((int)rc));
	server_run(&files);
}
