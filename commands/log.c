/* log [-f]: prints the system log; with -f, goes on printing new lines. */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	static char buf[METTA_MSG_MAX_DATA];
	int follow = argc > 1 && !strcmp(argv[1], "-f");
	uint64_t offset = 0;
	for (;;) {
		uint64_t w[4] = { LOG_READ, offset }, n = 0;
		long rc = metta_request(CAP_LOG, w, 0, 0, buf, sizeof(buf), &n, 0, 0);
		if (rc) {
			metta_tty_printf("log: %s\n", status_text((int)rc));
			return 1;
		}
		metta_tty_write(buf, n);
		offset = w[1];
		if (n == 0) {
			if (!follow)
				return 0;
			metta_sleep(100000);
		}
	}
}
