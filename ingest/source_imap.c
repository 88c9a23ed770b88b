#include "ingest/source_imap.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "common/log.h"
#include "common/stream.h"
#include "common/str.h"
#include "common/xalloc.h"

/*
 * A longer IDLE is renewed: servers may drop one idle for 30 minutes.
 * Moves go out in batches of MOVE_BATCH: a server syncs its disk once per
 * MOVE, and a batch cut short by a crash only means duplicates next time.
 */
enum { IDLE_RENEW = 600, MAX_CHAIN = 16, MOVE_BATCH = 64 };

/* messages acknowledged but not moved yet, per destination */
struct pending {
	uint32_t uids[MOVE_BATCH];
	size_t n;
};

struct imap {
	const struct imap_settings *set;
	struct stream *cur;	/* over the current message's bytes */
	char id[16];		/* its UID */
	mailimap *imap;
	char delim;
	char *mailbox;		/* with the server's separator */
	char *archive;
	char *errors;
	uint32_t uidvalidity;
	uint32_t *uids;		/* to process, ascending */
	size_t n_uids;
	size_t next;
	uint32_t cur_uid;	/* 0: none */
	clist *fetched;		/* the current message's FETCH response */
	char name[512];
	bool has_move;
	bool has_uidplus;
	bool has_idle;
	struct pending to_archive;
	struct pending to_errors;
	unsigned archived;	/* moved so far */
	unsigned rejected;
};

static void imap_close(struct imap *m);

static bool
is_ok(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

/* the connection itself failed (not a NO or BAD for one command) */
static bool
is_transport(const struct imap *m, int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	    r == MAILIMAP_ERROR_CONNECTION_REFUSED || r == MAILIMAP_ERROR_SSL ||
	    r == MAILIMAP_ERROR_BAD_STATE || m->imap->imap_stream == NULL;
}

/* "what: why", the server's own words when it gave any */
static int
fail(struct imap *m, int r, const char *what, struct err *err)
{
	const char *said = m->imap != NULL ? m->imap->imap_response : NULL;

	if (m->imap != NULL && is_transport(m, r))
		return err_set(err, ERR_NET, "%s:%u: %s: connection lost",
		    m->set->host, m->set->port, what);
	if (said != NULL && *said != '\0')
		return err_set(err, ERR_NET, "%s:%u: %s: %s", m->set->host,
		    m->set->port, what, said);
	return err_set(err, ERR_NET, "%s:%u: %s failed (libetpan error %d)",
	    m->set->host, m->set->port, what, r);
}

static void
set_sni(struct mailstream_ssl_context *ctx, void *host)
{
	mailstream_ssl_set_server_name(ctx, host);
}

/*
 * The peer's chain against the trust store (or ca_file) and the host
 * name, before LOGIN: libetpan's GnuTLS build checks neither.
 */
static int
verify_peer(struct imap *m, struct err *err)
{
	const struct imap_settings *set = m->set;
	carray *chain = mailstream_get_certificate_chain(m->imap->imap_stream);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[MAX_CHAIN];
	unsigned n = 0, status = 0;
	int r, ret = -1;

	if (chain == NULL || carray_count(chain) == 0) {
		err_set(err, ERR_NET, "%s:%u: the server sent no certificate",
		    set->host, set->port);
		goto out;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		err_set(err, ERR_NET, "cannot set up certificate checks");
		goto out;
	}
	r = set->ca_file != NULL ?
	    gnutls_x509_trust_list_add_trust_file(tl, set->ca_file, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0) :
	    gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		err_set(err, ERR_NET, "%s: no CA certificate could be read%s%s",
		    set->ca_file != NULL ? set->ca_file : "system trust store",
		    r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
		goto out;
	}
	for (; n < carray_count(chain) && n < MAX_CHAIN; n++) {
		MMAPString *der = carray_get(chain, n);
		gnutls_datum_t d = { (unsigned char *)der->str,
			(unsigned)der->len };

		if (gnutls_x509_crt_init(&crts[n]) < 0)
			break;
		if (gnutls_x509_crt_import(crts[n], &d,
		    GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[n]);
			break;
		}
	}
	gnutls_typed_vdata_st vd = { GNUTLS_DT_DNS_HOSTNAME,
		(unsigned char *)set->host, 0 };
	r = n == 0 ? -1 : gnutls_x509_trust_list_verify_crt2(tl, crts, n, &vd,
	    1, 0, &status, NULL);
	if (r == 0 && status == 0) {
		ret = 0;
	} else {
		gnutls_datum_t why = { NULL, 0 };

		if (r == 0)
			gnutls_certificate_verification_status_print(status,
			    GNUTLS_CRT_X509, &why, 0);
		err_set(err, ERR_NET, "%s:%u: the server's certificate is not "
		    "valid for %s: %s%s", set->host, set->port, set->host,
		    why.data != NULL ? (const char *)why.data :
		    "it cannot be read", set->ca_file == NULL ?
		    " (a private CA? set ca_file in [imap])" : "");
		gnutls_free(why.data);
	}
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return ret;
}

static int
connect_tls(struct imap *m, struct err *err)
{
	const struct imap_settings *set = m->set;
	int r;

	if (set->tls == IMAP_TLS_IMPLICIT) {
		r = mailimap_ssl_connect_with_callback(m->imap, set->host,
		    (uint16_t)set->port, set_sni, (void *)set->host);
		if (!is_ok(r))
			return err_set(err, ERR_NET, "cannot connect to %s:%u "
			    "with TLS%s", set->host, set->port,
			    r == MAILIMAP_ERROR_CONNECTION_REFUSED ?
			    ": connection refused" : "");
		return verify_peer(m, err);
	}
	r = mailimap_socket_connect(m->imap, set->host, (uint16_t)set->port);
	if (!is_ok(r))
		return err_set(err, ERR_NET, "cannot connect to %s:%u%s",
		    set->host, set->port,
		    r == MAILIMAP_ERROR_CONNECTION_REFUSED ?
		    ": connection refused" : "");
	if (set->tls == IMAP_TLS_NONE)
		return 0;
	r = mailimap_socket_starttls_with_callback(m->imap, set_sni,
	    (void *)set->host);
	if (!is_ok(r))
		return err_set(err, ERR_NET, "%s:%u: STARTTLS failed: %s",
		    set->host, set->port, m->imap->imap_response != NULL &&
		    *m->imap->imap_response != '\0' ? m->imap->imap_response :
		    "the server refused or broke the handshake");
	return verify_peer(m, err);
}

/* a folder name as configured ('/' between levels) in the server's terms */
static char *
server_name(const struct imap *m, const char *name)
{
	char *s = xstrdup(name);

	if (m->delim != '\0' && m->delim != '/')
		for (char *p = s; *p != '\0'; p++)
			if (*p == '/')
				*p = m->delim;
	return s;
}

static int
learn_delimiter(struct imap *m, struct err *err)
{
	clist *list = NULL;
	int r = mailimap_list(m->imap, "", "", &list);

	if (!is_ok(r))
		return fail(m, r, "LIST", err);
	if (list != NULL && clist_begin(list) != NULL) {
		struct mailimap_mailbox_list *mb = clist_content(
		    clist_begin(list));

		m->delim = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return 0;
}

/* create (and subscribe) a folder unless it exists */
static int
ensure_folder(struct imap *m, const char *folder, struct err *err)
{
	clist *list = NULL;
	bool has = false;
	int r = mailimap_list(m->imap, "", folder, &list);

	if (!is_ok(r))
		return fail(m, r, "LIST", err);
	has = list != NULL && clist_begin(list) != NULL;
	if (list != NULL)
		mailimap_list_result_free(list);
	if (has)
		return 0;
	r = mailimap_create(m->imap, folder);
	if (!is_ok(r)) {
		char what[600];

		str_format(what, sizeof(what), "cannot create folder %s",
		    folder);
		return fail(m, r, what, err);
	}
	log_notice("created IMAP folder %s", folder);
	(void)mailimap_subscribe(m->imap, folder);
	return 0;
}

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* SELECT (EXAMINE for a dry run) and UID SEARCH ALL */
static int
list_mailbox(struct imap *m, struct err *err)
{
	struct mailimap_search_key *key;
	clist *uids = NULL;
	uint32_t validity;
	size_t n = 0;
	int r;

	r = m->set->is_read_only ? mailimap_examine(m->imap, m->mailbox) :
	    mailimap_select(m->imap, m->mailbox);
	if (!is_ok(r)) {
		char what[600];

		str_format(what, sizeof(what), "cannot open mailbox %s",
		    m->set->mailbox);
		return fail(m, r, what, err);
	}
	validity = m->imap->imap_selection_info != NULL ?
	    m->imap->imap_selection_info->sel_uidvalidity : 0;
	if (m->uidvalidity != 0 && validity != m->uidvalidity)
		log_notice("%s: UIDVALIDITY changed from %u to %u: listing the "
		    "mailbox anew", m->set->mailbox, m->uidvalidity, validity);
	m->uidvalidity = validity;
	key = mailimap_search_key_new_all();
	r = mailimap_uid_search(m->imap, NULL, key, &uids);
	mailimap_search_key_free(key);
	if (!is_ok(r))
		return fail(m, r, "UID SEARCH", err);
	free(m->uids);
	m->uids = xcalloc(clist_count(uids) + 1, sizeof(*m->uids));
	for (clistiter *it = clist_begin(uids); it != NULL;
	    it = clist_next(it))
		m->uids[n++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(uids);
	qsort(m->uids, n, sizeof(*m->uids), cmp_uid);
	m->n_uids = n;
	m->next = 0;
	return 0;
}

static int
capabilities(struct imap *m, struct err *err)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(m->imap, &caps);

	/* after STARTTLS libetpan keeps the list from before: ask again */
	if (!is_ok(r))
		return fail(m, r, "CAPABILITY", err);
	mailimap_capability_data_free(caps);
	m->has_move = mailimap_has_extension(m->imap, "MOVE");
	m->has_uidplus = mailimap_has_extension(m->imap, "UIDPLUS");
	m->has_idle = mailimap_has_idle(m->imap);
	return 0;
}

static int
imap_open(struct imap **out, const struct imap_settings *set,
    struct err *err)
{
	struct imap *m = xcalloc(1, sizeof(*m));
	int r;

	*out = NULL;
	m->set = set;
	m->imap = mailimap_new(0, NULL);
	mailimap_set_timeout(m->imap, set->timeout);
	if (connect_tls(m, err) == -1)
		goto bad;
	r = mailimap_login(m->imap, set->user, set->password);
	if (!is_ok(r)) {
		if (is_transport(m, r)) {
			fail(m, r, "LOGIN", err);
		} else {
			err_set(err, ERR_NET, "%s:%u: login as %s refused: %s",
			    set->host, set->port, set->user,
			    m->imap->imap_response != NULL ?
			    m->imap->imap_response : "no reason given");
		}
		goto bad;
	}
	if (capabilities(m, err) == -1 || learn_delimiter(m, err) == -1)
		goto bad;
	m->mailbox = server_name(m, set->mailbox);
	m->archive = server_name(m, set->archive);
	m->errors = server_name(m, set->errors);
	if (!set->is_read_only && (ensure_folder(m, m->archive, err) == -1 ||
	    ensure_folder(m, m->errors, err) == -1))
		goto bad;
	if (list_mailbox(m, err) == -1)
		goto bad;
	log_info("%s:%u: %s holds %zu messages (MOVE %s, IDLE %s)", set->host,
	    set->port, set->mailbox, m->n_uids, m->has_move ? "yes" : "no",
	    m->has_idle ? "yes" : "no");
	*out = m;
	return 0;
bad:
	imap_close(m);
	return -1;
}

/* UID FETCH of one message with the given items; NULL list: it is gone */
static int
fetch(struct imap *m, uint32_t uid, struct mailimap_fetch_type *ft,
    clist **res, struct err *err)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	int r;

	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	*res = NULL;
	r = mailimap_uid_fetch(m->imap, set, ft, res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (!is_ok(r))
		return fail(m, r, "UID FETCH", err);
	return 0;
}

/* the static item of type in the response for uid, or NULL */
static struct mailimap_msg_att_static *
find_static(clist *res, uint32_t uid, int type)
{
	for (clistiter *i = clist_begin(res); i != NULL; i = clist_next(i)) {
		struct mailimap_msg_att *a = clist_content(i);
		struct mailimap_msg_att_static *hit = NULL;
		uint32_t got = 0;

		for (clistiter *j = clist_begin(a->att_list); j != NULL;
		    j = clist_next(j)) {
			struct mailimap_msg_att_item *it = clist_content(j);

			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (it->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_UID)
				got = it->att_data.att_static->att_data.att_uid;
			else if (it->att_data.att_static->att_type == type)
				hit = it->att_data.att_static;
		}
		if (got == uid && hit != NULL)
			return hit;
	}
	return NULL;
}

/* is the message flagged \Deleted (a move that was cut short)? */
static bool
is_deleted(clist *res)
{
	for (clistiter *i = clist_begin(res); i != NULL; i = clist_next(i)) {
		struct mailimap_msg_att *a = clist_content(i);

		for (clistiter *j = clist_begin(a->att_list); j != NULL;
		    j = clist_next(j)) {
			struct mailimap_msg_att_item *it = clist_content(j);
			struct mailimap_msg_att_dynamic *d;

			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_DYNAMIC)
				continue;
			d = it->att_data.att_dyn;
			if (d == NULL || d->att_list == NULL)
				continue;
			for (clistiter *k = clist_begin(d->att_list); k != NULL;
			    k = clist_next(k)) {
				struct mailimap_flag_fetch *f = clist_content(k);

				if (f->fl_type == MAILIMAP_FLAG_FETCH_OTHER &&
				    f->fl_flag != NULL &&
				    f->fl_flag->fl_type == MAILIMAP_FLAG_DELETED)
					return true;
			}
		}
	}
	return false;
}

static void
drop_current(struct imap *m)
{
	stream_free(m->cur);
	m->cur = NULL;
	if (m->fetched != NULL)
		mailimap_fetch_list_free(m->fetched);
	m->fetched = NULL;
	m->cur_uid = 0;
}

/* RFC 5092 style, with the user's '@' escaped and no password */
static void
name_message(struct imap *m, uint32_t uid)
{
	char user[256];
	size_t n = 0;
	const char *p = m->set->user;

	for (; *p != '\0' && n + 4 < sizeof(user); p++) {
		if (*p == '@') {
			memcpy(user + n, "%40", 3);
			n += 3;
		} else {
			user[n++] = *p;
		}
	}
	/* a long name is cut between characters, not inside one */
	if (((unsigned char)*p & 0xc0) == 0x80) {
		while (n > 0 && ((unsigned char)user[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
	}
	user[n] = '\0';
	str_format(m->name, sizeof(m->name), "%s://%s@%s:%u/%s;UIDVALIDITY=%u"
	    "/;UID=%u", m->set->tls == IMAP_TLS_IMPLICIT ? "imaps" : "imap",
	    user, m->set->host, m->set->port, m->set->mailbox, m->uidvalidity,
	    uid);
}

static int
imap_next(struct imap *m, const char **data, size_t *len, const char **name,
    struct err *err)
{
	drop_current(m);
	while (m->next < m->n_uids) {
		uint32_t uid = m->uids[m->next++];
		struct mailimap_fetch_type *ft;
		struct mailimap_msg_att_static *st;
		struct mailimap_msg_att_body_section *sec;
		clist *res = NULL;
		uint32_t size;

		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_rfc822_size());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_flags());
		if (fetch(m, uid, ft, &res, err) == -1)
			return -1;
		st = find_static(res, uid, MAILIMAP_MSG_ATT_RFC822_SIZE);
		if (st == NULL || is_deleted(res)) {
			/* moved away by someone else meanwhile, or half moved:
			 * not ours to handle now */
			mailimap_fetch_list_free(res);
			continue;
		}
		size = st->att_data.att_rfc822_size;
		mailimap_fetch_list_free(res);
		name_message(m, uid);
		*name = m->name;
		m->cur_uid = uid;
		if (size > m->set->max_message)
			return err_set(err, ERR_LIMIT, "%s: message of %u bytes "
			    "exceeds the %zu-byte limit (max_message)", m->name,
			    size, m->set->max_message);
		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
		    mailimap_section_new(NULL)));
		if (fetch(m, uid, ft, &m->fetched, err) == -1) {
			m->cur_uid = 0;
			return -1;
		}
		st = find_static(m->fetched, uid,
		    MAILIMAP_MSG_ATT_BODY_SECTION);
		if (st == NULL) {
			drop_current(m);
			continue;
		}
		sec = st->att_data.att_body_section;
		*data = sec->sec_body_part != NULL ? sec->sec_body_part : "";
		*len = sec->sec_length;
		if (*len > m->set->max_message) {
			return err_set(err, ERR_LIMIT, "%s: message of %zu bytes "
			    "exceeds the %zu-byte limit (max_message)", m->name,
			    *len, m->set->max_message);
		}
		return 1;
	}
	return 0;
}

static const char *
imap_folder(const struct imap *m, bool is_stored)
{
	return is_stored ? m->set->archive : m->set->errors;
}

/* UID MOVE, or COPY + \Deleted + EXPUNGE where the server has no MOVE */
static int
move(struct imap *m, struct pending *p, const char *folder, struct err *err)
{
	struct mailimap_set *set;
	int r = MAILIMAP_NO_ERROR;
	unsigned n;

	if (p->n == 0)
		return 0;
	set = mailimap_set_new_empty();
	for (size_t i = 0; i < p->n; i++)
		mailimap_set_add_single(set, p->uids[i]);
	n = p->n;
	p->n = 0;
	if (m->has_move) {
		r = mailimap_uid_move(m->imap, set, folder);
	} else {
		struct mailimap_flag_list *fl;
		struct mailimap_store_att_flags *sa;

		r = mailimap_uid_copy(m->imap, set, folder);
		if (is_ok(r)) {
			fl = mailimap_flag_list_new_empty();
			mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
			sa = mailimap_store_att_flags_new_add_flags_silent(fl);
			r = mailimap_uid_store(m->imap, set, sa);
			mailimap_store_att_flags_free(sa);
		}
		if (is_ok(r))
			r = m->has_uidplus ? mailimap_uid_expunge(m->imap, set) :
			    mailimap_expunge(m->imap);
	}
	mailimap_set_free(set);
	if (!is_ok(r)) {
		char what[600];

		str_format(what, sizeof(what), "cannot move messages to %s",
		    folder);
		return fail(m, r, what, err);
	}
	if (p == &m->to_archive)
		m->archived += n;
	else
		m->rejected += n;
	return 0;
}

static void
imap_moved(const struct imap *m, unsigned *archived, unsigned *rejected)
{
	*archived = m->archived;
	*rejected = m->rejected;
}

static int
imap_flush(struct imap *m, struct err *err)
{
	if (m->set->is_read_only)
		return 0;
	if (move(m, &m->to_archive, m->archive, err) == -1 ||
	    move(m, &m->to_errors, m->errors, err) == -1)
		return -1;
	return 0;
}

static int
imap_ack(struct imap *m, uint32_t uid, bool is_stored, struct err *err)
{
	struct pending *p = is_stored ? &m->to_archive : &m->to_errors;

	if (uid == m->cur_uid)
		drop_current(m);
	if (uid == 0 || m->set->is_read_only)
		return 0;
	p->uids[p->n++] = uid;
	if (p->n < MOVE_BATCH)
		return 0;
	return move(m, p, is_stored ? m->archive : m->errors, err);
}

/* wait for the IDLE socket, a second at a time so a signal is seen */
static int
idle_once(struct imap *m, unsigned seconds, volatile sig_atomic_t *stop,
    struct err *err)
{
	int r = mailimap_idle(m->imap), fd;
	time_t until = time(NULL) + seconds;

	if (!is_ok(r))
		return fail(m, r, "IDLE", err);
	fd = mailimap_idle_get_fd(m->imap);
	while (!*stop && time(NULL) < until) {
		struct pollfd p = { fd, POLLIN, 0 };

		/* the reply may already sit in the stream's buffer */
		if (m->imap->imap_stream->read_buffer_len > 0)
			break;
		r = poll(&p, 1, 1000);
		if (r > 0)
			break;
		if (r == -1 && errno != EINTR)
			break;
	}
	r = mailimap_idle_done(m->imap);
	if (!is_ok(r))
		return fail(m, r, "IDLE", err);
	return 0;
}

static int
poll_once(struct imap *m, unsigned seconds, volatile sig_atomic_t *stop,
    struct err *err)
{
	time_t until = time(NULL) + (seconds < 60 ? seconds : 60);
	int r;

	while (!*stop && time(NULL) < until) {
		struct timespec ts = { 1, 0 };

		nanosleep(&ts, NULL);
	}
	r = mailimap_noop(m->imap);
	return is_ok(r) ? 0 : fail(m, r, "NOOP", err);
}

static int
imap_wait(struct imap *m, unsigned seconds, volatile sig_atomic_t *stop,
    struct err *err)
{
	time_t until = time(NULL) + seconds;

	drop_current(m);
	if (imap_flush(m, err) == -1)
		return -1;
	for (;;) {
		time_t now = time(NULL);
		unsigned left = now < until ? (unsigned)(until - now) : 0;

		if (left > IDLE_RENEW)
			left = IDLE_RENEW;
		if ((m->has_idle ? idle_once(m, left, stop, err) :
		    poll_once(m, left, stop, err)) == -1)
			return -1;
		if (list_mailbox(m, err) == -1)
			return -1;
		if (m->n_uids > 0 || *stop || time(NULL) >= until)
			return m->n_uids > 0;
	}
}

static void
imap_close(struct imap *m)
{
	if (m == NULL)
		return;
	drop_current(m);
	if (m->imap != NULL) {
		if (m->imap->imap_stream != NULL)
			(void)mailimap_logout(m->imap);
		mailimap_free(m->imap);
	}
	free(m->uids);
	free(m->mailbox);
	free(m->archive);
	free(m->errors);
	free(m);
}

/* --- the row of the source table (source.h) --- */

static int
src_open(void **impl, const void *where, struct err *err)
{
	struct imap *m = NULL;

	if (imap_open(&m, where, err) == -1)
		return -1;
	*impl = m;
	return 0;
}

/* a message too large to fetch is a failed unit, named, still current */
static int
src_next(void *impl, struct source_unit *out, struct err *err)
{
	struct imap *m = impl;
	const char *data = NULL, *name = NULL;
	size_t len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = imap_next(m, &data, &len, &name, err);
	out->name = name;
	if (r != 1)
		return r;
	snprintf(m->id, sizeof(m->id), "%u", (unsigned)m->cur_uid);
	stream_new_mem(&m->cur, data, len, name);
	out->stream = m->cur;
	out->size = len;
	out->id = m->id;
	out->index = m->next;
	out->total = m->n_uids;
	return 1;
}

static int
src_ack(void *impl, const char *id, enum source_fate fate,
    const char **moved_to, struct err *err)
{
	struct imap *m = impl;
	bool is_stored = fate == SOURCE_STORED;
	uint32_t uid = id != NULL ? (uint32_t)strtoul(id, NULL, 10) :
	    m->cur_uid;

	*moved_to = m->set->is_read_only ? NULL : imap_folder(m, is_stored);
	return imap_ack(m, uid, is_stored, err);
}

static int
src_wait(void *impl, unsigned seconds, volatile sig_atomic_t *stop,
    struct err *err)
{
	return imap_wait(impl, seconds, stop, err);
}

static int
src_flush(void *impl, struct err *err)
{
	return imap_flush(impl, err);
}

static void
src_moved(void *impl, unsigned *stored, unsigned *failed)
{
	imap_moved(impl, stored, failed);
}

static void
src_close(void *impl)
{
	imap_close(impl);
}

const struct source_ops source_imap_ops = {
	"imap", src_open, src_next, src_ack, src_flush, src_wait, src_moved,
	src_close,
};
