/*
 * 9P2000 messages: one codec for every server and client.
 *
 * Wire format (Plan 9 manual, section 5): size[4] type[1] tag[2] and then the
 * fields of the type, all little-endian; a string is len[2] and len bytes of
 * UTF-8 without NUL. Decoding never reads past the buffer it is given and
 * rejects anything not exactly one well-formed message. Decoded strings and
 * data point into the buffer (no copies): keep it alive while using them.
 */
#ifndef LIB_9P_9P_H
#define LIB_9P_9P_H

#include <stddef.h>
#include <stdint.h>

enum p9_type {
	/*
	 * Metta's extensions, 9P2000.L's messages with their numbers and
	 * layouts (docs/servers.md); a server without the operation answers
	 * Rerror "operation not supported".
	 *
	 * Tstatfs fid[4], in fid; Rstatfs type[4] bsize[4] blocks[8]
	 * bfree[8] bavail[8] files[8] ffree[8] fsid[8] namelen[4], in
	 * statfs: the file system's size and free space.
	 */
	P9_TSTATFS = 8,
	P9_RSTATFS,
	/* A hard link: dfid[4] fid[4] name[s], in fid, newfid and name. */
	P9_TLINK = 70,
	P9_RLINK,
	/*
	 * A rename, across directories too, atomic: olddirfid[4] oldname[s]
	 * newdirfid[4] newname[s], in fid, name, newfid and newname. An
	 * existing newname is replaced as Linux's rename(2) does.
	 */
	P9_TRENAMEAT = 74,
	P9_RRENAMEAT,
	P9_TVERSION = 100,
	P9_RVERSION,
	P9_TAUTH,
	P9_RAUTH,
	P9_TATTACH,
	P9_RATTACH,
	P9_TERROR,
	P9_RERROR,
	P9_TFLUSH,
	P9_RFLUSH,
	P9_TWALK,
	P9_RWALK,
	P9_TOPEN,
	P9_ROPEN,
	P9_TCREATE,
	P9_RCREATE,
	P9_TREAD,
	P9_RREAD,
	P9_TWRITE,
	P9_RWRITE,
	P9_TCLUNK,
	P9_RCLUNK,
	P9_TREMOVE,
	P9_RREMOVE,
	P9_TSTAT,
	P9_RSTAT,
	P9_TWSTAT,
	P9_RWSTAT,
};

#define P9_NOTAG    0xffffu
#define P9_NOFID    0xffffffffu
#define P9_MAXWELEM 16	/* most names in one Twalk */

/* Whether a T-message may go in a batch (metta/proto.h's P9_BATCH): not
 * one a server could hold nor one that changes the connection. */
static inline int p9_batchable(uint8_t type)
{
	return type != P9_TREAD && type != P9_TWRITE && type != P9_TWSTAT &&
	       type != P9_TVERSION && type != P9_TFLUSH;
}
#define P9_HEADER   7	/* size[4] type[1] tag[2] */
#define P9_IOHDR    24	/* header of Tread/Twrite/Rread beyond data */
#define P9_MINMSIZE 256 /* smallest msize we agree to */
#define P9_VERSION  "9P2000"

/* Open modes and qid/dir bits. */
#define P9_OREAD    0
#define P9_OWRITE   1
#define P9_ORDWR    2
#define P9_OEXEC    3
#define P9_OTRUNC   0x10
#define P9_ORCLOSE  0x40
#define P9_QTDIR    0x80
#define P9_QTAPPEND 0x40
#define P9_QTEXCL   0x20
#define P9_QTFILE   0x00
#define P9_DMDIR    0x80000000u
#define P9_DMAPPEND 0x40000000u
#define P9_DMEXCL   0x20000000u
/* Symbolic links, as 9P2000.u marks them (docs/servers.md): a file whose
 * contents are the target; its qid type has P9_QTSYMLINK. */
#define P9_DMSYMLINK 0x02000000u
#define P9_QTSYMLINK 0x02
/* Set-user-id, set-group-id and sticky, as 9P2000.u marks them. */
#define P9_DMSETUID 0x00080000u
#define P9_DMSETGID 0x00040000u
#define P9_DMSETVTX 0x00010000u
#define P9_DMSPECIAL (P9_DMSETUID | P9_DMSETGID | P9_DMSETVTX)
/* Named pipes (FIFOs), as 9P2000.u marks them: a file of no contents on
 * its server; clients that open one get a pipe of the pipe server. */
#define P9_DMNAMEDPIPE 0x00200000u
/* Unix-domain sockets' files, as 9P2000.u marks them: a file of no
 * contents, through which connect finds the pipe server's listener. */
#define P9_DMSOCKET 0x00100000u

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* A counted string; not NUL-terminated when it points into a message. */
struct p9_str {
	uint16_t len;
	const char *s;
};

/* Rstatfs: Linux's struct statfs as 9P2000.L carries it (bsize-sized
 * blocks; files are the nodes a file system can hold). */
struct p9_statfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

/* The f_type Metta's file systems report: Linux's V9FS_MAGIC, what Linux
 * says of any 9P mount. */
#define P9_STATFS_MAGIC 0x01021997u

/* Which of these fields a message carries depends on its type. */
struct p9_msg {
	uint8_t type;
	uint16_t tag;
	uint32_t fid, newfid, afid;
	uint32_t msize, iounit, perm, count;
	uint16_t oldtag;
	uint8_t mode;
	uint64_t offset;
	struct p9_str version, uname, aname, name, ename;
	struct p9_str newname;	 /* Trenameat */
	struct p9_statfs statfs; /* Rstatfs */
	uint16_t nwname;
	struct p9_str wname[P9_MAXWELEM];
	uint16_t nwqid;
	struct p9_qid wqid[P9_MAXWELEM];
	struct p9_qid qid;
	const uint8_t *data; /* Twrite, Rread: count bytes */
	uint16_t nstat; /* Rstat, Twstat: one encoded stat of nstat bytes */
	const uint8_t *stat;
};

/* A directory entry, as in Rstat, Twstat and the data of directory reads. */
struct p9_stat {
	uint16_t type;
	uint32_t dev;
	struct p9_qid qid;
	uint32_t mode, atime, mtime;
	uint64_t length;
	struct p9_str name, uid, gid, muid;
};

/*
 * Decode exactly one message of len bytes. Returns 0, or STATUS_ERR_CORRUPT
 * when the size field disagrees with len, the type is unknown, a field runs
 * past the end, bytes are left over, a string holds NUL or a count is out of
 * range.
 */
int p9_decode(const uint8_t *buf, size_t len, struct p9_msg *m);

/*
 * Encode m into buf (cap bytes). Returns the message size, or
 * STATUS_ERR_RANGE when it does not fit, STATUS_ERR_INVAL for a bad type or
 * count.
 */
long p9_encode(uint8_t *buf, size_t cap, const struct p9_msg *m);

/* Size of the next message in a byte stream, or 0 while fewer than 4 bytes. */
uint32_t p9_peek_size(const uint8_t *buf, size_t len);

/*
 * One stat entry at the start of buf. Returns the bytes it takes
 * (size[2] + size), or STATUS_ERR_CORRUPT.
 */
long p9_stat_decode(const uint8_t *buf, size_t len, struct p9_stat *st);

/* Encode st; returns its bytes or STATUS_ERR_RANGE. */
long p9_stat_encode(uint8_t *buf, size_t cap, const struct p9_stat *st);

/* A p9_str for a NUL-terminated C string (longer than 65535 is cut). */
struct p9_str p9_str(const char *s);

/* 1 when s equals the C string c. */
int p9_str_eq(struct p9_str s, const char *c);

/*
 * The msize both sides use: the smaller of ours and theirs, or 0 when it is
 * below P9_MINMSIZE. Sets *version to "9P2000", or "unknown" when the
 * client's does not start with it (intro(5)).
 */
uint32_t p9_negotiate(uint32_t ours, const struct p9_msg *tversion,
		      struct p9_str *version);

#endif
