/*
 * Open files and file descriptors. An open file is what open() made: its
 * fid (several for a union directory), offset and flags; descriptors
 * point at open files, and dup() shares one, offset included, as POSIX
 * says. Close-on-exec belongs to the descriptor.
 */
#ifndef RUNTIME_FD_H
#define RUNTIME_FD_H

#include "rt.h"

#define MAX_FDS	  256
#define MAX_FILES 64

struct dirbuf;

struct ofile {
	int refs;
	int flags; /* LX_O_ACCMODE bits, LX_O_APPEND, LX_O_NONBLOCK */
	int dir;
	int tty;       /* the console: terminal ioctls work */
	uint32_t chan; /* a raw 9P channel's connection (chan.c), or 0 */
	int nloc;
	struct loc loc[NS_MAX_UNION];
	uint64_t offset;
	char path[RT_PATH_MAX]; /* clean and absolute: fchdir, *at calls */
	/* Directory reads: the union member being read, its 9P offset, the
	 * entries handed out so far, and unread raw entries. */
	int member, dots;
	unsigned opened; /* members opened for reading (bit i) */
	uint64_t dir_offset, cookie;
	struct dirbuf *buf;
};

/* The open file of fd, or 0 (EBADF). */
struct ofile *fd_get(int fd);
/* A new open file with one reference, or 0 (ENFILE). */
struct ofile *ofile_new(void);
void ofile_put(struct ofile *f);
/* The lowest free descriptor >= min for f (which it now holds a
 * reference of): the descriptor or -EMFILE. */
int fd_install(struct ofile *f, int min, int cloexec);
long fd_call(struct rt_call *c, int *handled);

/* Raw directory entries not yet handed out (file.c). */
struct dirbuf {
	int used;
	uint32_t len, pos;
	uint8_t data[8192];
	uint64_t seen[256]; /* hashes of names listed: unions list once */
	int nseen;
};
void dirbuf_put(struct dirbuf *b);

/* Raw 9P channels (chan.c). */
int chan_open(struct ofile *f, const char *service);
long chan_write(struct ofile *f, uint64_t ubuf, uint64_t n);
long chan_read(struct ofile *f, uint64_t ubuf, uint64_t n);
void chan_close(struct ofile *f);

#endif
