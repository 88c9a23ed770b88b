/*
 * migrations: the versioned, append-only schema changes of sql/, compiled
 * into the binary (scripts/embed-sql.sh) in version order.
 */
#ifndef DMARC_STORE_MIGRATIONS_H
#define DMARC_STORE_MIGRATIONS_H

#include <stddef.h>

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const size_t n_migrations;

#endif
