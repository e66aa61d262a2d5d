# SPDX-License-Identifier: GPL-2.0
# gpupt top-level Makefile.
#
#   make                 build kmod/gpupt.ko and ctl/gptctl
#   make KVER=6.1.0-56-amd64 / KDIR=/path/to/build   pick the kernel
#   make deps            install the Debian 12 packages everything needs (root)
#   make check           deps + build + unit tests + VM suite, one summary line
#   make check-slow      the slow tests: piuparts, dracut in a chroot, tests/vm/t*-slow.sh (up to 7200 s each)
#   make bench           the benchmarks (tests/bench/*.sh)
#   make fuzz            the libFuzzer harnesses, FUZZ_SECONDS (300) each
#   make stress          the VM suite with the long variants (GPUPT_STRESS=1)
#   make demo            boot a VM and walk through gpupt (tests/demo.sh, a few minutes)
#   make check-kernels   build + core VM tests on every kernel of tests/kernels/matrix
#   make dkms-install, make install   see dkms/dkms.mk
#   make prepare-kernels, clean-kernels   see mk/kernels.mk
#   make debug-kernel, check-debug   see mk/debug.mk
#   make deb             the Debian packages in build/deb/ (see mk/deb.mk)
#   make clean
#
# The default kernel is the running kernel's if its headers are installed,
# else the newest /lib/modules/*/build (the same rule as kmod/Makefile), and
# the VM rig boots the kernel gpupt.ko was built for.

# Every Debian 12 package the build, the tests and the rig need, in one place.
# Add yours here (and say what needs it).
DEBIAN_PACKAGES := \
	build-essential pkg-config kmod cpio gzip xz-utils zstd \
	linux-image-amd64 linux-headers-amd64 sparse \
	libnl-3-dev libnl-genl-3-dev libpci-dev libjson-c-dev pciutils \
	qemu-system-x86 ovmf seabios ipxe-qemu busybox-static socat jq \
	driverctl libvirt-clients clang libclang-rt-14-dev valgrind dkms initramfs-tools debootstrap \
	prometheus prometheus-node-exporter python3-yaml python3-jsonschema python3-nova systemd \
	man-db strace curl pci.ids \
	debhelper dh-dkms lintian piuparts \
	libxml2-dev libvirt-daemon-system libvirt-daemon-driver-qemu
# build-essential..zstd: builds, the rig's initramfs (cpio, decompressing .ko.xz/.zst)
# linux-*, sparse: gpupt.ko against Debian 6.1, sparse C=2
# lib*-dev, pciutils: gptctl (libnl, libpci, json-c), lspci in the guest
# qemu-system-x86..busybox-static: the VM rig (ovmf: OVMF tests; seabios/ipxe-qemu: ROM tests)
# socat: a nested QEMU's monitor inside the guest; jq: gptctl JSON in the tests
# driverctl: handoff benchmark baseline; libvirt-clients: virt-xml-validate
# clang, libclang-rt-14-dev: libFuzzer harnesses (ASan/UBSan runtime); valgrind: gptctl leak checks; dkms, initramfs-tools: DKMS tests
# debootstrap: the sid chroot of make check-kernels
# prometheus..pci.ids: tests/fleet: promtool check metrics, node_exporter serving the
#   export, python3-yaml/jsonschema for the KubeVirt patch, python3-nova (Nova's own [pci] parsers,
#   ~200 packages), systemd-analyze verify (+ man-db for its man: check), strace (atomic rename),
#   curl (scrape node_exporter), pci.ids (the NVIDIA plugin's names)
# debhelper, dh-dkms (dh_dkms, separate from dkms in bookworm): make deb; lintian: its checks
#   in tests/deb; piuparts: install/upgrade/purge tests (make check-slow; debootstrap, above, makes
#   its bookworm base tarball)
# libxml2-dev: gptctl's libvirt hook reads the domain XML with libxml2
# libvirt-daemon-system, libvirt-daemon-driver-qemu: a real libvirtd in the rig's guest
#   (t47 hook, t48 managed='yes'), started there without systemd

KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
	  else ls -1d /lib/modules/*/build 2>/dev/null | sort -V | tail -n1 | \
	  cut -d/ -f4; fi)
KDIR ?= /lib/modules/$(KVER)/build
export KVER

KLOCK := flock /tmp/gpupt-kmod.lock
CLOCK := flock /tmp/gpupt-ctl.lock

all: kmod ctl

kmod:
	$(KLOCK) $(MAKE) -C kmod KVER=$(KVER) KDIR=$(KDIR)

ctl:
	$(CLOCK) $(MAKE) -C ctl

deps:
	@missing=; for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(DEBIAN_PACKAGES)) packages installed"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "deps: missing:$$missing (run make deps as root)" >&2; exit 1; fi; \
	echo "deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing

check: deps
	$(MAKE) all
	tests/run-all

check-slow: deps
	$(MAKE) all
	GPUPT_SLOW=1 GPUPT_TEST_TIMEOUT=$${GPUPT_TEST_TIMEOUT:-7200} tests/run-all --slow

stress: deps
	$(MAKE) all
	GPUPT_STRESS=1 GPUPT_TEST_TIMEOUT=$${GPUPT_TEST_TIMEOUT:-3600} tests/run-all

bench: deps
	$(MAKE) all
	@set -e; n=0; for b in tests/bench/*.sh; do \
		[ -x "$$b" ] || continue; n=$$((n + 1)); echo "== $$b"; "$$b"; done; \
	[ $$n -gt 0 ] || echo "bench: nothing there yet (no tests/bench/*.sh)"

fuzz: deps
	tests/fuzz/run.sh $(or $(FUZZ_SECONDS),300)

demo: deps
	$(MAKE) all
	tests/demo.sh

print-kver:
	@echo $(KVER)

clean:
	-$(KLOCK) $(MAKE) -C kmod clean
	-$(CLOCK) $(MAKE) -C ctl clean
	rm -rf build

.PHONY: all kmod ctl deps check check-slow stress bench fuzz check-kernels demo print-kver clean

# dkms-install, dkms-uninstall, install, uninstall
-include dkms/dkms.mk
-include mk/debug.mk
-include mk/kernels.mk
-include mk/deb.mk
