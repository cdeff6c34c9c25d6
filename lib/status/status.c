/* Names and texts of status codes; generated from the one list in status.h. */
#include <metta/status.h>

const char *status_name(int status)
{
	switch (status) {
#define METTA_STATUS_NAME(name, value, text) \
	case value:                          \
		return #name;
		METTA_STATUS_LIST(METTA_STATUS_NAME)
#undef METTA_STATUS_NAME
	}
	return "ERR_?";
}

const char *status_text(int status)
{
	switch (status) {
#define METTA_STATUS_TEXT(name, value, text) \
	case value:                          \
		return text;
		METTA_STATUS_LIST(METTA_STATUS_TEXT)
#undef METTA_STATUS_TEXT
	}
	return "unknown status";
}
