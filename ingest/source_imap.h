/*
 * source_imap: the reports mailbox on an IMAP server (libetpan; the only
 * file that includes its IMAP headers).
 *
 * A session connects (implicit TLS, STARTTLS, or plain text when the user
 * asked for it), verifies the server certificate and its name with GnuTLS
 * before anything is sent (libetpan itself verifies nothing), logs in,
 * creates the archive and errors folders when missing, selects the mailbox
 * and lists its messages by UID.  Each message is then fetched whole with
 * BODY.PEEK[] (it stays unseen until it is moved), one at a time and no
 * larger than max_message, and moved only when the caller acks it: after
 * its reports are committed.  No UID is remembered between sessions: what
 * was processed has left the mailbox, so a changed UIDVALIDITY loses
 * nothing.
 *
 * Errors: ERR_NET for the server (refused, timed out, dropped, login or
 * certificate refused), ERR_LIMIT for a message over the size cap.
 */
#ifndef DMARC_INGEST_SOURCE_IMAP_H
#define DMARC_INGEST_SOURCE_IMAP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum imap_tls { IMAP_TLS_IMPLICIT, IMAP_TLS_STARTTLS, IMAP_TLS_NONE };

struct imap_settings {
	const char *host;
	unsigned port;
	enum imap_tls tls;
	const char *user;
	const char *password;	/* never logged */
	const char *ca_file;	/* NULL: the system trust store */
	const char *mailbox;
	const char *archive;	/* '/' separates levels, whatever the server uses */
	const char *errors;
	unsigned timeout;	/* seconds, for connect and every read/write */
	size_t max_message;
	bool is_read_only;	/* --dry-run: EXAMINE, create and move nothing */
};

struct imap;

/* Connect, verify, log in, prepare the folders, list the mailbox. */
int imap_open(struct imap **out, const struct imap_settings *set,
    struct err *err);

/*
 * The next message: 1 with its bytes (valid until the next call) and a
 * name locating it (an IMAP URL without the password), 0 when none is
 * left, -1 with ERR_LIMIT when it is too large (it is still the current
 * message: ack it as not stored) or ERR_NET when the connection failed.
 */
int imap_next(struct imap *m, const char **data, size_t *len,
    const char **name, struct err *err);

/*
 * The current message is done with: it goes to the archive (is_stored) or
 * errors folder.  Moves are sent in batches; imap_flush sends what waits
 * (imap_wait does so first).  A batch lost with the connection only means
 * duplicates on the next run, never a lost message.
 */
int imap_ack(struct imap *m, bool is_stored, struct err *err);
int imap_flush(struct imap *m, struct err *err);

/* How many messages this session moved to the archive and errors. */
void imap_moved(const struct imap *m, unsigned *archived,
    unsigned *rejected);

/* The folder imap_ack(is_stored) moves to, as configured. */
const char *imap_folder(const struct imap *m, bool is_stored);

/*
 * Wait up to seconds for new mail (IDLE, or NOOP polling where the server
 * has no IDLE), returning early when *stop becomes true; then list the
 * mailbox again.  1 when messages wait, 0 when none, -1 ERR_NET.
 */
int imap_wait(struct imap *m, unsigned seconds, volatile sig_atomic_t *stop,
    struct err *err);

/* Log out (politely, when the connection still works) and free. */
void imap_close(struct imap *m);

#endif
