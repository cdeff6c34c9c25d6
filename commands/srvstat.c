/*
 * srvstat SERVICE...: what each 9P server holds for its clients now:
 * connections, fids and held requests (P9_STATS). Tests compare it before
 * and after a storm of processes: nothing a client left may stay.
 */
#include <metta.h>
#include <metta/proto.h>

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	int failed = 0;
	if (argc < 2) {
		metta_tty_printf("usage: srvstat SERVICE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		uint64_t w[4] = { P9_STATS };
		uint32_t slot = metta_slot_alloc();
		long rc = metta_names_lookup(argv[i], slot);
		if (rc == 0)
			rc = metta_request(slot, w, 0, 0, 0, 0, 0, 0, 0);
		metta_cap_delete(slot);
		if (rc) {
			metta_tty_printf("srvstat: %s: %s\n", argv[i],
					 status_text((int)rc));
			failed = 1;
			continue;
		}
		metta_tty_printf("srvstat %s conns %lu fids %lu held %lu\n",
				 argv[i], w[1], w[2], w[3]);
	}
	return failed;
}
