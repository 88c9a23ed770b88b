/*
 * operator_p: the tables that the build generates from
 * data/parsedmarc-maps/ (scripts/operator-gen.c writes
 * $(B)/gen/operators.c) and analyze/operator.c searches.  Both are sorted
 * by strcmp() and hold lower-case ASCII names without a trailing dot, each
 * once.
 */
#ifndef DMARC_ANALYZE_OPERATOR_P_H
#define DMARC_ANALYZE_OPERATOR_P_H

#include <stddef.h>

#include "analyze/operator.h"

/* base_reverse_dns_map.csv, by domain */
extern const struct operator operator_table[];
extern const size_t operator_table_len;

/* psl_overrides.txt: each entry with its mark, "-x.com", ".x.com" or
 * "x.com" */
extern const char *const operator_overrides[];
extern const size_t operator_overrides_len;

#endif
