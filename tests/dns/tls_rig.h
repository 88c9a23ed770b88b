/*
 * The TLS test servers of scripts/tls-rig.sh, for the dns tests: a test
 * CA with its certificates, nginx serving MTA-STS policies by SNI, and
 * the SMTP server with STARTTLS (build/smtp-tls-server).  The servers end
 * with the calling process should a test crash; the stop functions stop
 * them (call them from a .fini).  Any failure fails the test.
 */
#ifndef DMARC_TESTS_DNS_TLS_RIG_H
#define DMARC_TESTS_DNS_TLS_RIG_H

/*
 * `tls-rig.sh certs dir/certs NAMES`: names is one string of
 * space-separated host names (NULL: the rig's default).  The files are
 * then dir/certs/{ca,good,expired,wrong,self}.{pem,key}.
 */
void tls_rig_certs(const char *dir, const char *names);

/* nginx on a free port of 127.0.0.1 serving conf (the text of a CONF
 * file of tls-rig.sh), its files in dir/https: returns the port. */
unsigned tls_rig_https_start(const char *dir, const char *conf);
void tls_rig_https_stop(const char *dir);

/* The SMTP server on a free port presenting dir/certs/<cert>.pem, files
 * in dir/smtp; without STARTTLS when has_starttls is false. */
unsigned tls_rig_smtp_start(const char *dir, const char *cert,
    int has_starttls);
void tls_rig_smtp_stop(const char *dir);

#endif
