#include "store/store_p.h"

#include <stdlib.h>

#include "common/xalloc.h"

int
store_select(struct store *s, const char *sql, int nparams,
    const char *const *params, store_row_fn fn, void *ctx, struct err *err)
{
	PGresult *res = NULL;
	const char **names = NULL, **values = NULL;
	int ncols, ret = -1;

	if (store_q(s, &res, err, sql, nparams, params) == -1)
		return -1;
	ncols = PQnfields(res);
	names = xcalloc((size_t)ncols + 1, sizeof(*names));
	values = xcalloc((size_t)ncols + 1, sizeof(*values));
	for (int c = 0; c < ncols; c++)
		names[c] = PQfname(res, c);
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < ncols; c++)
			values[c] = PQgetisnull(res, r, c) ? NULL :
			    PQgetvalue(res, r, c);
		if (fn != NULL && fn(ctx, (size_t)ncols, names, values,
		    err) == -1)
			goto out;
	}
	ret = 0;
out:
	free(names);
	free(values);
	PQclear(res);
	return ret;
}

