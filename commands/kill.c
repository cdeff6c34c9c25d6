/* kill ID...: ends domains (see `domains` for their ids). */
#include <metta.h>
#include <metta/proto.h>

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	int failed = 0;
	if (argc < 2) {
		metta_tty_printf("usage: kill ID...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		uint64_t id = 0;
		for (const char *s = argv[i]; *s >= '0' && *s <= '9'; s++)
			id = id * 10 + (uint64_t)(*s - '0');
		uint64_t w[4] = { NESTER_KILL, id };
		long rc = metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
		if (rc) {
			metta_tty_printf("kill: %s: %s\n", argv[i], status_text((int)rc));
			failed = 1;
		}
	}
	return failed;
}
