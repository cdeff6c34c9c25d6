/* domains: every domain: class, priority, quota used and given, threads,
 * nester. */
#include <metta.h>
#include <metta/proto.h>

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	static char table[METTA_MSG_MAX_DATA];
	uint64_t w[4] = { NESTER_DOMAINS }, n = 0;
	long rc = metta_request(CAP_NESTER, w, 0, 0, table, sizeof(table), &n, 0, 0);
	if (rc) {
		metta_tty_printf("domains: %s\n", status_text((int)rc));
		return 1;
	}
	metta_tty_write(table, n);
	return 0;
}
