/*
 * Client side of the first servers' protocols (metta/proto.h): one
 * request helper and the calls every program makes (console, names).
 */
#include <fmt/fmt.h>
#include <metta/proto.h>
#include <string/kstring.h>

#include "metta.h"

long metta_request(uint32_t portal, uint64_t w[4], const void *data,
		   uint64_t len, void *reply, uint64_t rsize, uint64_t *rlen,
		   uint32_t send_cap, uint32_t recv_cap)
{
	struct metta_msg m = {
		.send_buf = (uint64_t)data, .send_len = len,
		.recv_buf = (uint64_t)reply, .recv_size = reply ? rsize : 0,
	};
	if (send_cap) {
		m.send_caps[0] = send_cap;
		m.nsend_caps = 1;
	}
	if (recv_cap) {
		m.recv_caps[0] = recv_cap;
		m.nrecv_caps = 1;
	}
	long rc = metta_call(portal, &m, w);
	if (rlen)
		*rlen = m.recv_len;
	return rc ? rc : (long)w[0];
}

uint64_t metta_pack_strings(char *buf, uint64_t cap, int n,
			    const char *const *s)
{
	uint64_t len = 0;
	for (int i = 0; i < n; i++) {
		uint64_t k = strlen(s[i]) + 1;
		if (len + k > cap)
			break;
		memcpy(buf + len, s[i], k);
		len += k;
	}
	return len;
}

long metta_tty_write(const char *s, uint64_t n)
{
	uint64_t w[4] = { CONS_WRITE };
	return metta_request(CAP_TTY, w, s, n, 0, 0, 0, 0, 0);
}

long metta_tty_read(char *buf, uint64_t max)
{
	uint64_t w[4] = { CONS_READ, max }, got = 0;
	long rc = metta_request(CAP_TTY, w, 0, 0, buf, max, &got, 0, 0);
	return rc ? rc : (long)got;
}

long metta_names_lookup(const char *name, uint32_t dst)
{
	uint64_t w[4] = { NAMES_LOOKUP };
	return metta_request(CAP_NAMES, w, name, strlen(name), 0, 0, 0, 0, dst);
}

void metta_pci_settled(uint64_t timeout_us)
{
	uint32_t pci = metta_slot_alloc();
	if (pci && metta_names_lookup("pci", pci) == 0) {
		uint64_t w[4] = { P9_STATS };
		struct metta_msg m = { .timeout_us = timeout_us };
		metta_call(pci, &m, w);
	}
	if (pci)
		metta_cap_delete(pci);
}
