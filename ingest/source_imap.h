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
#include "ingest/source.h"

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

/*
 * The IMAP row of the source table: source_open_ops(&s, &source_imap_ops,
 * &settings, err) connects, verifies, logs in, prepares the folders and
 * lists the mailbox (settings must outlive s).  next fetches one message:
 * a failed unit with ERR_LIMIT when it is too large, ERR_NET when the
 * connection failed.  ack moves the message to the archive (stored) or
 * errors folder (failed); moves are sent in batches by flush (wait
 * flushes first); a batch lost with the connection only means duplicates
 * on the next run, never a lost message.  wait IDLEs (or
 * polls with NOOP where the server has no IDLE), then lists the mailbox
 * again.  moved counts the messages this session moved.  close logs out
 * (politely, when the connection still works).
 */
extern const struct source_ops source_imap_ops;

#endif
