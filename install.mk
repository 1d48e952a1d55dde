# Installation: included by the Makefile.
#   make install     the binary to $(PREFIX)/sbin, smtpd.8 to man8 (its
#                    FILES path made $(PREFIX)'s), the
#                    launcher examples, the README and docs/*.md to
#                    share/doc/smtpd (docs/ and tcpserver/ as in the tree,
#                    so the README's references hold there too)
#   make uninstall   removes exactly those files
# Both honour PREFIX (default /usr/local) and DESTDIR (a staging root
# for packagers: files land in $(DESTDIR)$(PREFIX)/...).

PREFIX   ?= /usr/local
SBINDIR   = $(PREFIX)/sbin
MAN8DIR   = $(PREFIX)/share/man/man8
DOCDIR    = $(PREFIX)/share/doc/smtpd
DOCS      = README inetd.conf.example smtpd.xinetd smtpd.socket \
            smtpd@.service smtpd-lmtp.socket smtpd-lmtp@.service tls.example \
            haproxy.cfg.example \
            docs/performance.md docs/security.md docs/testing.md

install: $(BIN)
	mkdir -p "$(DESTDIR)$(SBINDIR)" "$(DESTDIR)$(MAN8DIR)" \
	    "$(DESTDIR)$(DOCDIR)/docs" "$(DESTDIR)$(DOCDIR)/tcpserver"
	cp $(BIN) "$(DESTDIR)$(SBINDIR)/smtpd"
	chmod 0755 "$(DESTDIR)$(SBINDIR)/smtpd"
	# the page's FILES names the doc directory of this PREFIX
	sed 's|/usr/local/share/doc/smtpd|$(DOCDIR)|g' smtpd.8 \
	    >"$(DESTDIR)$(MAN8DIR)/smtpd.8"
	chmod 0644 "$(DESTDIR)$(MAN8DIR)/smtpd.8"
	for f in $(DOCS); do \
	    cp "$$f" "$(DESTDIR)$(DOCDIR)/$$f" && \
	    chmod 0644 "$(DESTDIR)$(DOCDIR)/$$f" || exit 1; \
	done
	cp tcpserver/run "$(DESTDIR)$(DOCDIR)/tcpserver/run"
	chmod 0755 "$(DESTDIR)$(DOCDIR)/tcpserver/run"

uninstall:
	rm -f "$(DESTDIR)$(SBINDIR)/smtpd" "$(DESTDIR)$(MAN8DIR)/smtpd.8"
	for f in $(DOCS) tcpserver/run; do \
	    rm -f "$(DESTDIR)$(DOCDIR)/$$f"; \
	done
	-rmdir "$(DESTDIR)$(DOCDIR)/docs" "$(DESTDIR)$(DOCDIR)/tcpserver" \
	    "$(DESTDIR)$(DOCDIR)"

.PHONY: install uninstall
