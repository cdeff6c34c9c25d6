/* Host tests of status names: every code has a distinct name and text. */
#include <metta/status.h>

#include "check.h"

static int every_code_is_named(void)
{
	static const int codes[] = {
#define CODE(name, value, text) value,
		METTA_STATUS_LIST(CODE)
#undef CODE
	};
	size_t n = sizeof(codes) / sizeof(*codes);
	for (size_t i = 0; i < n; i++) {
		CHECK(codes[i] <= 0);
		CHECK(strcmp(status_name(codes[i]), "ERR_?") != 0);
		for (size_t j = i + 1; j < n; j++) {
			CHECK(codes[i] != codes[j]);
			CHECK(strcmp(status_name(codes[i]),
				     status_name(codes[j])));
		}
	}
	CHECK_STR(status_name(STATUS_ERR_QUOTA), "ERR_QUOTA");
	CHECK_STR(status_text(STATUS_ERR_FAULT), "bad address");
	CHECK_STR(status_name(-1000), "ERR_?");
	CHECK_STR(status_name(5), "ERR_?");
	return 0;
}

int main(void)
{
	RUN(every_code_is_named);
	return check_done();
}
