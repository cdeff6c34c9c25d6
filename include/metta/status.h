/*
 * Status codes shared by the nucleus and user space.
 *
 * Every call returns STATUS_OK (0) or one of these small negative values; the
 * same numbers reach user space unchanged, so this header is part of the ABI.
 * Keep status_name() in lib/status/status.c in step (a host test checks it).
 */
#ifndef METTA_STATUS_H
#define METTA_STATUS_H

#define METTA_STATUS_LIST(X)                    \
	X(OK, 0, "success")                     \
	X(ERR_INVAL, -1, "invalid argument")    \
	X(ERR_NOMEM, -2, "out of memory")       \
	X(ERR_QUOTA, -3, "quota exhausted")     \
	X(ERR_FAULT, -4, "bad address")         \
	X(ERR_RANGE, -5, "out of range")        \
	X(ERR_NOENT, -6, "not found")           \
	X(ERR_EXIST, -7, "already exists")      \
	X(ERR_BUSY, -8, "busy")                 \
	X(ERR_CORRUPT, -9, "malformed data")    \
	X(ERR_NOTSUP, -10, "not supported")     \
	X(ERR_TIMEOUT, -11, "timed out")        \
	X(ERR_BADCAP, -12, "bad capability")    \
	X(ERR_TYPE, -13, "wrong object type")   \
	X(ERR_DENIED, -14, "permission denied") \
	X(ERR_DEAD, -15, "object is gone")     \
	X(ERR_INTR, -16, "interrupted")

#ifdef __ASSEMBLER__
/* Assembly gets the same names as assembler symbols. */
#define METTA_STATUS_ASM(name, value, text) .set STATUS_##name, value;
METTA_STATUS_LIST(METTA_STATUS_ASM)
#undef METTA_STATUS_ASM
#else
enum status {
#define METTA_STATUS_ENUM(name, value, text) STATUS_##name = value,
	METTA_STATUS_LIST(METTA_STATUS_ENUM)
#undef METTA_STATUS_ENUM
};

/* Short name of a status ("ERR_QUOTA"), or "ERR_?" for an unknown value. */
const char *status_name(int status);
/* Human-readable text of a status ("quota exhausted"). */
const char *status_text(int status);
#endif

#endif
