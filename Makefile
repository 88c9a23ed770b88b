# dmarcctl: one non-recursive Makefile.  `make help` lists the targets.

PKGS    = libxml-2.0 zlib libzip jansson libpq gnutls libcares libpsl libidn2 nettle \
          libcurl
ETPAN_CFLAGS := $(shell pkg-config --cflags libetpan 2>/dev/null || libetpan-config --cflags 2>/dev/null)
# Debian's libetpan.pc leaks a dpkg link spec that makes the binary non-PIE;
# the shared library carries its own dependencies, so -letpan is enough.
ETPAN_LIBS   := -letpan
PKG_CFLAGS   := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_CFLAGS  := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS    := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
IDN2_LIBS    := $(shell pkg-config --libs libidn2 2>/dev/null || echo -lidn2)

WARN  = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wwrite-strings -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. $(WARN) \
             $(PKG_CFLAGS) $(ETPAN_CFLAGS) $(CFLAGS)
ALL_LIBS   = $(PKG_LIBS) $(ETPAN_LIBS)

B      ?= build
PREFIX ?= /usr/local

COMMON_SRC  = common/err.c common/buf.c common/log.c common/xalloc.c \
              common/esc.c \
              common/str.c common/arena.c common/stream.c common/jsonw.c \
              common/sha256.c common/timefmt.c
MODEL_SRC   = model/report.c model/normalize.c model/orgdomain.c \
              model/align.c model/finding.c model/dnsrec.c
PARSERS_SRC = parsers/report.c parsers/decomp.c parsers/xmlclean.c \
              parsers/arf.c \
              parsers/dmarc_xml.c parsers/tlsrpt_json.c parsers/mail.c
INGEST_SRC  = ingest/source.c ingest/source_imap.c
STORE_SRC   = store/store.c store/store_migrate.c store/store_archive.c \
              store/store_load.c store/store_rollup.c store/store_query.c \
              store/store_reparse.c store/store_queue.c
ANALYZE_SRC = analyze/rdns.c analyze/sender.c analyze/verdict.c \
              analyze/operator.c analyze/tls.c analyze/text.c \
              analyze/failure.c
DNS_SRC     = dns/resolve.c dns/spf.c dns/check.c dns/https.c dns/probe.c
SQL_SRC     = $(sort $(wildcard sql/[0-9]*.sql))
CLI_SRC     = cli/cmd.c cli/config.c cli/output.c cli/table.c cli/window.c \
              cli/opt.c \
              cli/pipeline.c cli/cmd_parse.c cli/cmd_ingest.c cli/cmd_db.c \
              cli/cmd_list.c cli/cmd_fetch.c cli/analysis.c cli/analysis_tls.c \
              cli/query.c cli/cmd_summary.c cli/cmd_sources.c \
              cli/cmd_advise.c cli/cmd_tls.c cli/cmd_check.c \
              cli/live.c cli/cmd_dns.c cli/cmd_failures.c cli/help.c
MAIN_SRC    = cli/dmarcctl.c
TESTS_SRC   = tests/test_util.c \
              tests/common/test_buf.c tests/common/test_stream.c \
              tests/common/test_str.c tests/common/test_err.c \
              tests/common/test_esc.c tests/common/test_timefmt.c \
              tests/common/test_sha256.c \
              tests/model/test_normalize.c tests/model/test_orgdomain.c \
              tests/model/test_align.c tests/model/test_dnsrec.c \
              tests/parsers/test_decomp.c \
              tests/parsers/test_dmarc_xml.c tests/parsers/test_tlsrpt_json.c \
              tests/parsers/test_mail.c tests/parsers/test_report.c \
              tests/parsers/test_hostile.c tests/parsers/test_corpus.c \
              tests/parsers/test_repair.c tests/parsers/test_arf.c \
              tests/store/test_rig.c tests/store/test_store.c \
              tests/store/test_keys.c tests/store/test_tls_rollup.c \
              tests/cli/test_parse.c tests/cli/test_ingest.c \
              tests/cli/test_failure_store.c \
              tests/cli/test_refused.c tests/cli/test_queue.c \
              tests/cli/test_ingest_text.c \
              tests/cli/test_opt.c tests/cli/test_hardening.c \
              tests/cli/test_window.c \
              tests/cli/test_dmarcctl.c \
              tests/cli/test_reparse.c \
              tests/cli/test_failures_cmd.c tests/cli/test_citus.c \
              tests/ingest/test_fetch.c \
              tests/analyze/test_rdns.c tests/analyze/test_sender.c \
              tests/analyze/test_verdict.c tests/analyze/test_operator.c \
              tests/analyze/test_tls.c tests/analyze/test_failure.c \
              tests/dns/test_check.c \
              tests/dns/tls_rig.c tests/dns/test_https.c \
              tests/dns/test_probe.c \
              tests/cli/test_analyze.c \
              tests/cli/test_install.c tests/cli/test_poison.c tests/poison.c \
              tests/cli/test_senders.c tests/grafana/test_dashboards.c \
              tests/cli/test_dns.c tests/cli/test_dns_hostile.c \
              tests/cli/test_everyday.c tests/cli/test_answers.c

LIB_SRC  = $(COMMON_SRC) $(MODEL_SRC) $(PARSERS_SRC) $(INGEST_SRC) $(STORE_SRC) \
           $(ANALYZE_SRC) $(DNS_SRC) $(CLI_SRC)
LIB_OBJ  = $(LIB_SRC:%.c=$(B)/%.o) $(B)/gen/migrations.o $(B)/gen/operators.o \
           $(B)/gen/version.o
MAIN_OBJ = $(MAIN_SRC:%.c=$(B)/%.o)
TEST_OBJ = $(TESTS_SRC:%.c=$(B)/%.o)

.PHONY: all deps demo demo-stop check check-asan check-senders check-citus citus-rig-check bench fuzz fuzz-build clean help install uninstall deb check-deb

all: $(B)/dmarcctl dmarcctl

dmarcctl: $(B)/dmarcctl
	@[ "$(B)" = build ] && ln -sf $(B)/dmarcctl dmarcctl || true

$(B)/dmarcctl: $(LIB_OBJ) $(MAIN_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# the version, from one place: the file VERSION
$(B)/gen/version.c: VERSION
	@mkdir -p $(@D)
	@v=$$(tr -d ' \n' < VERSION); \
	    printf '#include "cli/cmd.h"\n\nconst char dmarcctl_version[] = "%s";\n' \
	    "$$v" > $@

$(B)/gen/version.o: $(B)/gen/version.c cli/cmd.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the migrations of sql/, compiled in: the binary carries its schema
$(B)/gen/migrations.c: $(SQL_SRC) scripts/embed-sql.sh
	@mkdir -p $(@D)
	scripts/embed-sql.sh $@ $(SQL_SRC)

$(B)/gen/migrations.o: $(B)/gen/migrations.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# parsedmarc's map of reverse-DNS base domains to operators, compiled in
# as sorted tables (analyze/operator.c); a malformed file stops the build
OPERATOR_MAPS = data/parsedmarc-maps/base_reverse_dns_map.csv \
                data/parsedmarc-maps/psl_overrides.txt
$(B)/operator-gen: scripts/operator-gen.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
	    $(WARN) $(PKG_CFLAGS) -o $@ $< $(IDN2_LIBS)

$(B)/gen/operators.c: $(B)/operator-gen $(OPERATOR_MAPS)
	@mkdir -p $(@D)
	$(B)/operator-gen $(OPERATOR_MAPS) $@

$(B)/gen/operators.o: $(B)/gen/operators.c analyze/operator_p.h \
    analyze/operator.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CRIT_CFLAGS) -DFIXTURES='"$(CURDIR)/tests/fixtures"' \
	    -DCORPUS='"$(CURDIR)/tests/fixtures/corpus"' \
	    -DDMARCCTL_BIN='"$(CURDIR)/$(B)/dmarcctl"' \
	    -DOPERATOR_GEN='"$(CURDIR)/$(B)/operator-gen"' \
	    -DSMTP_TLS_SERVER='"$(CURDIR)/$(B)/smtp-tls-server"' -MMD -MP -c -o $@ $<

$(B)/tests/run: $(LIB_OBJ) $(TEST_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS) $(CRIT_LIBS)

deps:
	@scripts/deps.sh

# The test suite: the layer rules over #include lines, unit tests, the
# corpus, and the command line end to end.
check:
	@scripts/deps.sh --check
	scripts/check-layers.sh
	$(MAKE) $(B)/dmarcctl $(B)/demo-gen $(B)/smtp-tls-server $(B)/tests/run
	$(TEST_ENV) tests/run-tests.sh $(B)/tests/run $(TEST_ARGS)

# The sender-model scenarios alone, on the same throwaway servers
# (SENDERS_SCENARIO=<name> runs one).
check-senders:
	$(MAKE) check TEST_ARGS="--filter 'senders/*' $(TEST_ARGS)"

SAN = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
check-asan:
	$(MAKE) B=build/asan CFLAGS='$(SAN)' LDFLAGS='$(SAN)' \
	    TEST_ENV='ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1' check

# The store, ingest, fetch and analysis tests on a Citus cluster (a
# coordinator and two workers, scripts/citus-rig.sh; builds Citus the
# first time), and the same inputs compared with one PostgreSQL.
CITUS_SUITES = store store_keys store_tls_rollup cli_ingest cli_ingest_text \
	failure_store failures_cmd refused reparse hardening fetch \
	fetch_accounts analyze_cli analyze_gates analyze_reporters \
	analyze_small check sources_cli window_cli failure_evidence rdns tls \
	grafana citus
check-citus:
	scripts/citus-rig.sh build
	$(MAKE) $(B)/dmarcctl $(B)/demo-gen $(B)/smtp-tls-server $(B)/tests/run
	TEST_PG_RIG=citus $(TEST_ENV) tests/run-tests.sh $(B)/tests/run \
	    --filter '@($(subst $(eval) ,|,$(strip $(CITUS_SUITES))))/*' \
	    $(TEST_ARGS)

# The Citus test cluster alone (scripts/citus-rig.sh; builds Citus into
# PostgreSQL 15 the first time, as root).
citus-rig-check:
	tests/citus-rig-check.sh

# the build's output only when it fails (V=1 shows it as it goes)
demo: deps
	@if [ '$(V)' = 1 ]; then $(MAKE) all $(B)/demo-gen; \
	else mkdir -p $(B) && $(MAKE) --no-print-directory all $(B)/demo-gen \
	    >$(B)/demo-build.log 2>&1 || { cat $(B)/demo-build.log; \
	    echo 'make demo: the build failed' >&2; exit 1; }; fi
	@scripts/demo.sh

# the demo's mailbox generator
$(B)/demo-gen: scripts/demo-gen.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
	    $(WARN) -o $@ $< -lz

# the SMTP server with STARTTLS of the probe tests (scripts/tls-rig.sh)
$(B)/smtp-tls-server: tests/rig/smtp-tls-server.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
	    $(WARN) $(PKG_CFLAGS) -o $@ $< $(shell pkg-config --libs gnutls)

demo-stop:
	@scripts/demo-db.sh stop

bench: deps all
	$(MAKE) $(B)/bench/gen $(B)/bench/gen-small
	@bench/run.sh $(B)
	@[ "$${BENCH_SMALL:-1}" = 0 ] || bench/small.sh $(B)
	@[ "$${BENCH_FETCH:-1}" = 0 ] || bench/fetch.sh $(B)
	@[ "$${BENCH_ANALYZE:-1}" = 0 ] || bench/analyze.sh $(B)
	@[ "$${BENCH_CITUS:-1}" = 0 ] || bench/citus.sh $(B)

$(B)/bench/gen: bench/gen.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 -D_POSIX_C_SOURCE=200809L -I. $(WARN) -o $@ $< -lz

$(B)/bench/gen-small: bench/gen-small.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 -D_POSIX_C_SOURCE=200809L -I. $(WARN) -o $@ $< -lz

# libFuzzer harnesses: clang with -fsanitize=fuzzer,address,undefined.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
# fuzz_store also stores what parsed, into a throwaway PostgreSQL cluster
# that fuzz/run.sh starts.
FUZZ_TARGETS  = fuzz_xml fuzz_json fuzz_decomp fuzz_mail fuzz_store fuzz_dnsrec
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRC  = $(COMMON_SRC) $(MODEL_SRC) $(PARSERS_SRC)
FUZZ_STORE_SRC = $(STORE_SRC) $(B)/gen/migrations.c
fuzz-build: deps $(B)/gen/migrations.c
	@mkdir -p $(B)/fuzz
	for t in $(FUZZ_TARGETS); do \
	    extra=; [ $$t != fuzz_store ] || extra='$(FUZZ_STORE_SRC)'; \
	    $(FUZZ_CC) -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
	        $(PKG_CFLAGS) $(ETPAN_CFLAGS) $(FUZZ_FLAGS) -o $(B)/fuzz/$$t \
	        fuzz/$$t.c $(FUZZ_LIB_SRC) $$extra $(ALL_LIBS) || exit 1; \
	done
fuzz: fuzz-build
	@fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: the binary, its manual
# page and bash completion; for reading, the migrations (the binary carries
# them), the Grafana files, contrib/ (systemd units, cron line, config
# example, Docker files; their /usr/local/bin becomes $(BINDIR)), the
# README and the licence of the data compiled in.  `make uninstall` with
# the same PREFIX and DESTDIR removes them.
BINDIR  = $(PREFIX)/bin
MAN1DIR = $(PREFIX)/share/man/man1
COMPDIR = $(PREFIX)/share/bash-completion/completions
DATADIR = $(PREFIX)/share/dmarcctl
DOCDIR  = $(PREFIX)/share/doc/dmarcctl
# recursive (=): looked at only by install and uninstall
DATA_FILES    = $(SQL_SRC) \
                $(shell find grafana -type f ! -name '.*' 2>/dev/null | LC_ALL=C sort)
CONTRIB_FILES = $(shell find contrib -type f ! -name '.*' | LC_ALL=C sort)

install: $(B)/dmarcctl
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MAN1DIR)' \
	    '$(DESTDIR)$(COMPDIR)' '$(DESTDIR)$(DATADIR)' '$(DESTDIR)$(DOCDIR)'
	install -m 755 $(B)/dmarcctl '$(DESTDIR)$(BINDIR)/dmarcctl'
	install -m 644 dmarcctl.1 '$(DESTDIR)$(MAN1DIR)/dmarcctl.1'
	install -m 644 completion/dmarcctl.bash '$(DESTDIR)$(COMPDIR)/dmarcctl'
	install -m 644 README.md '$(DESTDIR)$(DOCDIR)/README.md'
	@# the binary carries parsedmarc's maps: their licence goes with it
	install -D -m 644 data/parsedmarc-maps/LICENSE \
	    '$(DESTDIR)$(DOCDIR)/parsedmarc-maps/LICENSE'
	install -D -m 644 data/parsedmarc-maps/NOTICE \
	    '$(DESTDIR)$(DOCDIR)/parsedmarc-maps/NOTICE'
	@set -e; for f in $(DATA_FILES); do \
	    echo "install -D -m 644 $$f '$(DESTDIR)$(DATADIR)/$$f'"; \
	    install -D -m 644 "$$f" '$(DESTDIR)$(DATADIR)'/"$$f"; \
	done
	@set -e; for f in $(CONTRIB_FILES); do \
	    mkdir -p "$(B)/$${f%/*}"; \
	    sed 's|/usr/local/bin/dmarcctl|$(BINDIR)/dmarcctl|g' "$$f" >"$(B)/$$f"; \
	    echo "install -D -m 644 $$f '$(DESTDIR)$(DATADIR)/$$f'"; \
	    install -D -m 644 "$(B)/$$f" '$(DESTDIR)$(DATADIR)'/"$$f"; \
	done

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/dmarcctl' '$(DESTDIR)$(MAN1DIR)/dmarcctl.1' \
	    '$(DESTDIR)$(COMPDIR)/dmarcctl' '$(DESTDIR)$(DOCDIR)/README.md' \
	    '$(DESTDIR)$(DOCDIR)/parsedmarc-maps/LICENSE' \
	    '$(DESTDIR)$(DOCDIR)/parsedmarc-maps/NOTICE'
	@set -e; for f in $(DATA_FILES) $(CONTRIB_FILES); do \
	    rm -f '$(DESTDIR)$(DATADIR)'/"$$f"; \
	done
	@# the directories of our own that are now empty; shared ones stay
	@for d in '$(DESTDIR)$(DATADIR)' '$(DESTDIR)$(DOCDIR)'; do \
	    [ ! -d "$$d" ] || find "$$d" -depth -type d -empty -delete; \
	done

# The Debian package, build/deb/dmarcctl_<VERSION>_<arch>.deb, built by
# dpkg-buildpackage from a copy of the tree (scripts/deb.sh; the files it
# holds are those of `make install PREFIX=/usr`), checked by lintian.
# check-deb installs it, runs it against a throwaway PostgreSQL as the
# README's server set-up says, and purges it again (as root).
deb:
	@scripts/deps.sh deb
	@WERROR='$(WERROR)' scripts/deb.sh

check-deb:
	@scripts/deps.sh deb
	WERROR='$(WERROR)' tests/deb-test.sh

clean:
	rm -rf build dmarcctl

help:
	@echo 'make          build ./dmarcctl'
	@echo 'make deps     install the Debian packages dmarcctl needs'
	@echo 'make demo     run dmarcctl on the bundled sample reports'
	@echo 'make demo-stop  stop the demo database (data stays in .demo/pg)'
	@echo 'make check    run every test (check-asan: under ASan+UBSan)'
	@echo 'make check-senders  the sender-model scenarios alone'
	@echo 'make check-citus      the store, ingest and analysis tests on Citus'
	@echo 'make citus-rig-check  start and check the Citus test cluster'
	@echo 'make bench    speed and memory against xmllint --stream and zcat'
	@echo 'make fuzz     run each libFuzzer harness for FUZZ_SECONDS'
	@echo 'make install  install under PREFIX (/usr/local), staged in DESTDIR; uninstall'
	@echo 'make deb      the Debian package, in build/deb/ (check-deb: install and test it)'

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
