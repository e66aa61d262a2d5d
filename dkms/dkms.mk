# SPDX-License-Identifier: GPL-2.0
#
# DKMS and install targets, included by the top-level Makefile
# (`include dkms/dkms.mk`).  It uses the top-level KVER (the running
# kernel if its headers are installed, else the newest /lib/modules/*/build).
#
#   make dkms-install [KVER=...]   copy VERSION, kmod/ and include/ to
#                                  /usr/src/gpupt-$(VERSION), then dkms add,
#                                  build and install for KVER
#   make dkms-uninstall            dkms remove --all, drop /usr/src/gpupt-*
#   make dkms-source [DESTDIR=]    only the source tree /usr/src/gpupt-$(VERSION)
#                                  (dkms-install and the gpupt-dkms package)
#   DKMS_TREE=DIR                  both: use DIR instead of /usr/src,
#                                  /var/lib/dkms and /lib/modules (tests)
#   make install [DESTDIR=] [PREFIX=/usr]
#                                  install-ctl + install-boot:
#   make install-ctl               gptctl, man pages (man/*.N, with @VERSION@
#                                  replaced by VERSION), bash completion,
#                                  gpupt-apply.service, /etc/gpupt/devices.conf
#                                  (only when absent: it is the admin's file)
#   make install-boot              the initramfs-tools hook, the dracut module
#                                  (90gpupt), the modprobe.d and dracut
#                                  snippets gptctl setup writes (examples)
#   make uninstall [DESTDIR=] [PREFIX=/usr]
#
# debian/rules installs the two Debian packages with install-ctl (gptctl)
# and dkms-source + install-boot (gpupt-dkms).

GPUPT_VERSION := $(shell cat $(dir $(lastword $(MAKEFILE_LIST)))../VERSION 2>/dev/null)
DKMS_NAME := gpupt
# Tests install into a scratch tree so they never shadow the gpupt.ko the
# VM rig loads: DKMS_TREE=/tmp/x (sources, DKMS state and modules there).
ifneq ($(DKMS_TREE),)
DKMS_SOURCETREE := $(DKMS_TREE)/src
DKMS := dkms --sourcetree $(DKMS_TREE)/src --dkmstree $(DKMS_TREE)/dkms \
	--installtree $(DKMS_TREE)/modules
else
DKMS_SOURCETREE ?= /usr/src
DKMS ?= dkms
endif
DKMS_SRC := $(DKMS_SOURCETREE)/$(DKMS_NAME)-$(GPUPT_VERSION)

PREFIX ?= /usr
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ITOOLS_HOOKDIR ?= $(PREFIX)/share/initramfs-tools/hooks
DRACUT_MODDIR ?= $(PREFIX)/lib/dracut/modules.d
EXAMPLEDIR ?= $(PREFIX)/share/doc/gpupt/examples
UNITDIR ?= /lib/systemd/system
SYSCONFDIR ?= /etc
# man/NAME.SECTION; .TH says "gpupt @VERSION@", filled in from VERSION
MAN_PAGES := $(sort $(wildcard man/*.[1-9]))

# The DKMS source tree: VERSION, kmod/ and include/ without build products,
# and dkms.conf with PACKAGE_VERSION from VERSION.
dkms-source:
	@if [ -z "$(GPUPT_VERSION)" ]; then echo "dkms-source: no VERSION file" >&2; exit 1; fi
	rm -rf $(DESTDIR)$(DKMS_SRC)
	mkdir -p $(DESTDIR)$(DKMS_SRC)
	tar -C $(CURDIR) --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.d' \
		--exclude=modules.order --exclude=Module.symvers \
		-cf - VERSION kmod include | tar -C $(DESTDIR)$(DKMS_SRC) -xf -
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(GPUPT_VERSION)"/' \
		dkms/dkms.conf >$(DESTDIR)$(DKMS_SRC)/dkms.conf

dkms-install:
	@if [ -z "$(GPUPT_VERSION)" ]; then echo "dkms-install: no VERSION file" >&2; exit 1; fi
	@if [ -z "$(KVER)" ] || [ ! -d /lib/modules/$(KVER)/build ]; then \
		echo "dkms-install: no headers for kernel '$(KVER)': install linux-headers-$(KVER) or pass KVER=" >&2; exit 1; fi
	@command -v dkms >/dev/null || { echo "dkms-install: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	-$(DKMS) remove -m $(DKMS_NAME) -v $(GPUPT_VERSION) --all >/dev/null 2>&1
	$(if $(DKMS_TREE),mkdir -p $(DKMS_TREE)/dkms $(DKMS_TREE)/modules/$(KVER))
	$(MAKE) --no-print-directory dkms-source DESTDIR=
	$(DKMS) add -m $(DKMS_NAME) -v $(GPUPT_VERSION)
	$(DKMS) build -m $(DKMS_NAME) -v $(GPUPT_VERSION) -k $(KVER)
	$(DKMS) install -m $(DKMS_NAME) -v $(GPUPT_VERSION) -k $(KVER)
	$(DKMS) status -m $(DKMS_NAME)

dkms-uninstall:
	-$(DKMS) remove -m $(DKMS_NAME) -v $(GPUPT_VERSION) --all
	rm -rf $(DKMS_SRC)

install: install-ctl install-boot

install-ctl: ctl
	$(MAKE) -C ctl install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	@if [ -z "$(GPUPT_VERSION)" ]; then echo "install-ctl: no VERSION file" >&2; exit 1; fi
	for m in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		install -d $$d && \
		sed 's/@VERSION@/$(GPUPT_VERSION)/g' $$m >$$d/$${m##*/} && \
		chmod 0644 $$d/$${m##*/} || exit 1; \
	done
	install -D -m 0644 completion/gptctl $(DESTDIR)$(BASHCOMPDIR)/gptctl
	install -D -m 0644 dkms/systemd/gpupt-apply.service $(DESTDIR)$(UNITDIR)/gpupt-apply.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/gpupt/devices.conf ] || \
		install -D -m 0644 dkms/gpupt/devices.conf $(DESTDIR)$(SYSCONFDIR)/gpupt/devices.conf

install-boot:
	install -D -m 0755 dkms/initramfs-tools/hooks/gpupt $(DESTDIR)$(ITOOLS_HOOKDIR)/gpupt
	install -D -m 0755 dkms/dracut/90gpupt/module-setup.sh \
		$(DESTDIR)$(DRACUT_MODDIR)/90gpupt/module-setup.sh
	install -D -m 0644 dkms/modprobe.d/gpupt.conf $(DESTDIR)$(EXAMPLEDIR)/modprobe.d-gpupt.conf
	install -D -m 0644 dkms/dracut/gpupt.conf $(DESTDIR)$(EXAMPLEDIR)/dracut.conf.d-gpupt.conf

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/gptctl $(DESTDIR)$(BASHCOMPDIR)/gptctl \
		$(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(DESTDIR)$(ITOOLS_HOOKDIR)/gpupt $(DESTDIR)$(UNITDIR)/gpupt-apply.service
	rm -rf $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(DRACUT_MODDIR)/90gpupt

.PHONY: dkms-source dkms-install dkms-uninstall install install-ctl install-boot uninstall
