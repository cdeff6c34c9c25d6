/*
 * The big nucleus lock. The nucleus runs with interrupts off and is entered
 * from user mode (calls, faults, interrupts) or from an idle CPU; every
 * entry takes this lock and every exit to user mode or idle gives it back,
 * so nucleus code never runs on two CPUs at once. Calls are short, so the
 * lock is cheap to hold (seL4 does the same).
 */
#ifndef NUCLEUS_BKL_H
#define NUCLEUS_BKL_H

void bkl_lock(void);
void bkl_unlock(void);

/* Leaves the nucleus for user mode: reschedules if asked, then unlocks. */
void return_to_user(void);

#endif
