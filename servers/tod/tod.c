/*
 * tod: the time of day, from the CMOS real-time clock (ports 0x70-0x71,
 * given as slot 12). TOD_GET gives seconds since 1970 (UTC); TOD_SET sets
 * the clock, for callers through a capability badged TOD_BADGE_SETTER
 * only. Slot 5: its portal. The same time is a file over 9P, so that
 * every service speaks 9P: /dev/time, "seconds since 1970\n" (read-only:
 * setting the clock needs the setter's capability).
 */
#include <9p/portal.h>
#include <9p/synth.h>
#include <fmt/fmt.h>
#include <metta.h>
#include <metta/proto.h>
#include <server/server.h>

#define PORTAL 5
#define PORTS 12

static uint8_t cmos(uint8_t reg)
{
	metta_ioport_out(PORTS, 0x70, 1, 0x80 | reg);
	return (uint8_t)metta_ioport_in(PORTS, 0x71, 1);
}

static void cmos_set(uint8_t reg, uint8_t v)
{
	metta_ioport_out(PORTS, 0x70, 1, 0x80 | reg);
	metta_ioport_out(PORTS, 0x71, 1, v);
}

static int bcd(void)
{
	return !(cmos(0x0b) & 0x04);
}

static unsigned from_cmos(uint8_t v)
{
	return bcd() ? (unsigned)((v >> 4) * 10 + (v & 15)) : v;
}

static uint8_t to_cmos(unsigned v)
{
	return bcd() ? (uint8_t)((v / 10) << 4 | (v % 10)) : (uint8_t)v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Seconds since 1970 (UTC) by the clock. */
static int64_t now(void)
{
	while (cmos(0x0a) & 0x80) /* an update is in progress */
		metta_yield();
	unsigned s = from_cmos(cmos(0)), mi = from_cmos(cmos(2));
	unsigned h = from_cmos(cmos(4) & 0x7f), d = from_cmos(cmos(7));
	unsigned mo = from_cmos(cmos(8)), y = from_cmos(cmos(9));
	int64_t days = days_from_civil(2000 + y, mo, d);
	return days * 86400 + h * 3600 + mi * 60 + s;
}

static long op_get(struct server_call *c)
{
	c->w[1] = (uint64_t)now();
	return STATUS_OK;
}

/* /dev/time over 9P: the whole line at offset 0, nothing after it. */
static long time_read(void *ctx, const struct p9synth_entry *e, uint64_t inst,
		      uint64_t offset, void *buf, uint32_t count)
{
	(void)ctx, (void)e, (void)inst;
	char line[32];
	int n = fmt_snprintf(line, sizeof(line), "%ld\n", now());
	return p9synth_text(line, (size_t)n, offset, buf, count);
}

static long op_set(struct server_call *c)
{
	if (c->badge != TOD_BADGE_SETTER)
		return STATUS_ERR_DENIED;
	int64_t t = (int64_t)c->w[1], y;
	unsigned m, d;
	civil_from_days(t / 86400, &y, &m, &d);
	if (y < 2000 || y > 2099)
		return STATUS_ERR_RANGE;
	int64_t r = t % 86400;
	cmos_set(0, to_cmos((unsigned)(r % 60)));
	cmos_set(2, to_cmos((unsigned)(r / 60 % 60)));
	cmos_set(4, to_cmos((unsigned)(r / 3600)));
	cmos_set(7, to_cmos(d));
	cmos_set(8, to_cmos(m));
	cmos_set(9, to_cmos((unsigned)(y - 2000)));
	return STATUS_OK;
}

static const struct p9synth_entry files[] = {
	{ "/", 0, P9_DMDIR | 0555, 0, 0, 0, 0, 0 },
	{ "time", 1, 0444, 0, time_read, 0, 0, 0 },
};
static struct p9synth tree;
static struct p9srv fs;
static P9SRV_STORAGE(fs_store, 16, 8);

static const server_op ops[] = {
	[TOD_GET] = op_get,
	[TOD_SET] = op_set,
	P9_PORTAL_OPS,
};
static const struct server tod = { PORTAL, ops, sizeof(ops) / sizeof(ops[0]) };

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	p9synth_init(&tree, files, sizeof(files) / sizeof(files[0]), "root", 0);
	p9srv_init(&fs, &p9synth_ops, &tree, P9_PORTAL_MSIZE,
		   P9SRV_STORAGE_ARGS(fs_store));
	p9_portal_init(&fs, PORTAL);
	server_run(&tod);
}
