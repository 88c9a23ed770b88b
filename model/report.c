#include "model/report.h"

const char *
report_kind_name(enum report_kind kind)
{
	static const char *const names[] = {
		[REPORT_DMARC] = "dmarc", [REPORT_TLSRPT] = "tlsrpt",
		[REPORT_FAILURE] = "failure",
	};

	return names[kind];
}
