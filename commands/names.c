/* names: lists the registered services. */
#include <metta.h>
#include <metta/proto.h>

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	static char list[METTA_MSG_MAX_DATA];
	uint64_t w[4] = { NAMES_LIST }, n = 0;
	long rc = metta_request(CAP_NAMES, w, 0, 0, list, sizeof(list), &n, 0, 0);
	if (rc) {
		metta_tty_printf("names: %s\n", status_text((int)rc));
		return 1;
	}
	metta_tty_write(list, n);
	return 0;
}
