#include "cli/cmd.h"

int
cmd_exit_status(enum err_code code)
{
	static const int status[] = {
		[ERR_OK] = EXIT_OK, [ERR_USAGE] = EXIT_USAGE,
		[ERR_IO] = EXIT_IOERR, [ERR_PARSE] = EXIT_DATAERR,
		[ERR_LIMIT] = EXIT_DATAERR, [ERR_DB] = EXIT_UNAVAILABLE,
		[ERR_NET] = EXIT_UNAVAILABLE, [ERR_REFUSED] = EXIT_DATAERR,
	};

	if ((unsigned)code >= sizeof(status) / sizeof(status[0]))
		return EXIT_SOFTWARE;
	return status[code];
}
