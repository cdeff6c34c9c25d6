/*
 * Offsets into nucleus structures that assembly reads (entry.S's short
 * way to the runtime), kept here once and checked against the structures
 * in syscall.c, so a new field breaks the build, not a Linux call.
 */
#ifndef NUCLEUS_OFFSETS_H
#define NUCLEUS_OFFSETS_H

#define THREAD_DOMAIN 40  /* offsetof(struct thread, domain) */
#define DOMAIN_REFLECT 16 /* offsetof(struct domain, reflect_entry) */

#endif
