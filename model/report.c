#include "model/report.h"

const char *
report_kind_name(enum report_kind kind)
{
	return kind == REPORT_TLSRPT ? "tlsrpt" : "dmarc";
}
