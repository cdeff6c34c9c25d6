/* kill ID|NAME...: ends domains, named by id or by name as `domains`
 * lists them (a name ends the first domain of that name). */
#include <metta.h>
#include <metta/proto.h>
#include <string/kstring.h>

static int is_number(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* The id of the first domain called name in the nester's table, or 0. */
static uint64_t id_of(const char *name)
{
	static char table[METTA_MSG_MAX_DATA];
	uint64_t w[4] = { NESTER_DOMAINS }, n = 0;
	if (metta_request(CAP_NESTER, w, 0, 0, table, sizeof(table), &n, 0, 0))
		return 0;
	size_t len = strlen(name);
	for (const char *line = table, *end = table + n; line < end;) {
		const char *eol = line;
		while (eol < end && *eol != '\n')
			eol++;
		const char *s = skip_blanks(line, eol);
		uint64_t id = 0;
		int digits = 0;
		for (; s < eol && *s >= '0' && *s <= '9'; s++, digits++)
			id = id * 10 + (uint64_t)(*s - '0');
		s = skip_blanks(s, eol);
		if (digits && (size_t)(eol - s) > len && !memcmp(s, name, len) &&
		    (s[len] == ' ' || s[len] == '\t'))
			return id;
		line = eol + 1;
	}
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	int failed = 0;
	if (argc < 2) {
		metta_tty_printf("usage: kill ID|NAME...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		uint64_t id = 0;
		if (is_number(argv[i]))
			for (const char *s = argv[i]; *s; s++)
				id = id * 10 + (uint64_t)(*s - '0');
		else if (!(id = id_of(argv[i]))) {
			metta_tty_printf("kill: %s: no such domain\n", argv[i]);
			failed = 1;
			continue;
		}
		uint64_t w[4] = { NESTER_KILL, id };
		long rc = metta_request(CAP_NESTER, w, 0, 0, 0, 0, 0, 0, 0);
		if (rc) {
			metta_tty_printf("kill: %s: %s\n", argv[i], status_text((int)rc));
			failed = 1;
		}
	}
	return failed;
}
