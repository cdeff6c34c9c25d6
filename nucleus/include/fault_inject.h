#ifndef NUCLEUS_FAULT_INJECT_H
#define NUCLEUS_FAULT_INJECT_H

/*
 * Makes the nucleus fault on purpose (command line fault=pf|gp|ud|de|df),
 * so tests can check the fault report. Returns only for an unknown kind.
 */
void fault_inject(const char *kind);

#endif
