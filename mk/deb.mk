# SPDX-License-Identifier: GPL-2.0
# mk/deb.mk: the Debian packages (debian/), included by the top Makefile.
#
#   make deb            gpupt-dkms_VERSION_all.deb, gptctl_VERSION_amd64.deb
#                       and the source package (.dsc, .tar.xz) in build/deb/,
#                       with dpkg-buildpackage (mk/deb.sh)
#   make deb-lintian    lintian over them: fails on any error or warning that
#                       debian/*.lintian-overrides does not explain
#   make deb-piuparts   piuparts install/purge and upgrade from the previous
#                       version, in a bookworm chroot (tests/deb/piuparts.sh;
#                       part of make check-slow)
#   make deb-dracut     gpupt-dkms's dracut module with dracut itself, in a
#                       bookworm chroot (tests/deb/dracut.sh; part of make
#                       check-slow; needs deb-piuparts' base tarball)

DEB_VERSION_FILE := $(shell cat VERSION 2>/dev/null)

deb:
	mk/deb.sh build/deb

deb-lintian: deb
	lintian --fail-on error,warning build/deb/gpupt_$(DEB_VERSION_FILE)_amd64.changes

deb-piuparts: deb
	tests/deb/piuparts.sh build/deb

deb-dracut: deb
	tests/deb/dracut.sh build/deb

.PHONY: deb deb-lintian deb-piuparts deb-dracut
