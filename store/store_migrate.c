#include "store/store_p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/migrations.h"

/* one migration in its own transaction, unless already applied */
static int
migrate_one(struct store *s, const struct migration *m, unsigned *applied,
    struct err *err)
{
	char ver[16];
	const char *params[2] = { ver, m->name };
	PGresult *res = NULL;
	bool is_done;

	snprintf(ver, sizeof(ver), "%d", m->version);
	if (store_exec(s, "BEGIN", err) == -1)
		return -1;
	if (store_q(s, &res, err, "SELECT 1 FROM dmarcctl_migrations WHERE "
	    "version = $1", 1, params) == -1)
		goto fail;
	is_done = PQntuples(res) > 0;
	PQclear(res);
	if (!is_done) {
		res = PQexec(s->conn, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			store_db_error(s, err, "migration failed", res);
			err_wrap(err, "sql/%03d_%s.sql", m->version, m->name);
			PQclear(res);
			goto fail;
		}
		PQclear(res);
		if (store_q(s, NULL, err, "INSERT INTO dmarcctl_migrations "
		    "(version, name) VALUES ($1, $2)", 2, params) == -1)
			goto fail;
		(*applied)++;
	}
	return store_exec(s, "COMMIT", err);
fail:
	PQclear(PQexec(s->conn, "ROLLBACK"));
	return -1;
}

/*
 * On Citus, spread what is not yet spread (sql/014_citus.sql); nothing on
 * plain PostgreSQL.  Roles belong to the cluster, and Citus makes the
 * Grafana role again on every worker with each table it distributes: two
 * databases of one cluster doing it at the same moment collide ("tuple
 * concurrently updated").  The distribution is one transaction, so it is
 * tried again, a little later.
 */
static int
distribute(struct store *s, unsigned *out, struct err *err)
{
	for (int tries = 1;; tries++) {
		PGresult *res = PQexec(s->conn, "SELECT dmarcctl_distribute()");
		const char *msg = PQresultErrorField(res,
		    PG_DIAG_MESSAGE_PRIMARY);
		bool is_race = msg != NULL &&
		    strstr(msg, "tuple concurrently updated") != NULL;

		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			*out = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL,
			    10);
			PQclear(res);
			return 0;
		}
		if (!is_race || tries == 10) {
			store_db_error(s, err, "cannot distribute the tables",
			    res);
			PQclear(res);
			return -1;
		}
		PQclear(res);
		nanosleep(&(struct timespec){ 0, 50000000L * tries }, NULL);
	}
}

int
store_migrate(struct store *s, unsigned *applied, unsigned *distributed,
    struct err *err)
{
	unsigned n_spread = 0;
	int ret = -1;

	*applied = 0;
	/* one migrator at a time, however many cron jobs start together */
	if (store_exec(s, "SELECT "
	    "pg_advisory_lock(hashtext('dmarcctl_migrate'))",
	    err) == -1)
		return -1;
	if (store_exec(s, "CREATE TABLE IF NOT EXISTS dmarcctl_migrations ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", err) == -1)
		goto out;
	for (size_t i = 0; i < n_migrations; i++)
		if (migrate_one(s, &migrations[i], applied, err) == -1)
			goto out;
	if (distribute(s, &n_spread, err) == -1)
		goto out;
	if (distributed != NULL)
		*distributed = n_spread;
	ret = 0;
out:
	PQclear(PQexec(s->conn,
	    "SELECT pg_advisory_unlock(hashtext('dmarcctl_migrate'))"));
	return ret;
}

int
store_status(struct store *s, store_status_fn fn, void *ctx, struct err *err)
{
	PGresult *res = NULL;
	int ret = -1, n = 0;

	if (store_q(s, &res, err, "SELECT to_regclass('dmarcctl_migrations') "
	    "IS NOT NULL", 0, NULL) == -1)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		if (store_q(s, &res, err, "SELECT version, to_char(applied_at "
		    "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
		    "FROM dmarcctl_migrations", 0, NULL) == -1)
			return -1;
		n = PQntuples(res);
	}
	for (size_t i = 0; i < n_migrations; i++) {
		const char *at = "";

		for (int r = 0; r < n; r++)
			if (strtol(PQgetvalue(res, r, 0), NULL, 10) ==
			    migrations[i].version)
				at = PQgetvalue(res, r, 1);
		if (fn(ctx, migrations[i].version, migrations[i].name, at,
		    err) == -1)
			goto out;
	}
	ret = 0;
out:
	PQclear(res);
	return ret;
}

int
store_mode(struct store *s, struct store_mode *out, struct err *err)
{
	PGresult *res = NULL;
	struct store_mode m = { 0 };
	bool has_fn;

	/* the workers Citus knows and uses; the tables dmarcctl_distribute
	 * would still spread, when it exists (a database not yet migrated) */
	if (store_q(s, &res, err, "SELECT EXISTS (SELECT FROM pg_extension "
	    "WHERE extname = 'citus'), to_regprocedure("
	    "'dmarcctl_distribute(boolean)') IS NOT NULL", 0, NULL) == -1)
		return -1;
	m.is_citus = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	has_fn = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if (m.is_citus) {
		if (store_q(s, &res, err, "SELECT count(*) FROM "
		    "citus_get_active_worker_nodes()", 0, NULL) == -1)
			return -1;
		m.workers = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	if (m.is_citus && has_fn) {
		if (store_q(s, &res, err, "SELECT dmarcctl_distribute(true)",
		    0, NULL) == -1)
			return -1;
		m.undistributed = (unsigned)strtoul(PQgetvalue(res, 0, 0),
		    NULL, 10);
		PQclear(res);
	}
	*out = m;
	return 0;
}

static int
count_applied(void *ctx, int version, const char *name, const char *at,
    struct err *err)
{
	(void)version, (void)name, (void)err;
	if (*at != '\0')
		(*(size_t *)ctx)++;
	return 0;
}

int
store_check_schema(struct store *s, struct err *err)
{
	size_t applied = 0;

	if (store_status(s, count_applied, &applied, err) == -1)
		return -1;
	if (applied < n_migrations)
		return err_set(err, ERR_DB, "database is not migrated (%zu of "
		    "%zu migrations applied): run dmarcctl db migrate",
		    applied, n_migrations);
	return 0;
}
