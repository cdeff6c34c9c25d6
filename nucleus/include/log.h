#ifndef NUCLEUS_LOG_H
#define NUCLEUS_LOG_H

#include <stddef.h>

/* Copies console output into the registered log ring, if any. */
void log_ring_write(const char *s, size_t n);

struct domain;
/* A dying domain that registered the ring stops being the log. */
void log_domain_gone(struct domain *d);

struct kobj;
/* The objects the registered log ring holds (the consistency check):
 * NULL when none is registered. */
void log_holds(struct kobj **mem, struct kobj **event);

#endif
