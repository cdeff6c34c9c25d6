/* poweroff: asks the process server (and through it the root nester) to
 * end the system (ACPI soft-off). */
#include <metta.h>
#include <metta/proto.h>

int main(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	uint64_t w[4] = { NESTER_POWEROFF };
	long rc = metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
	metta_tty_printf("poweroff: %s\n", status_text((int)rc));
	return 1;
}
