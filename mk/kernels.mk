# SPDX-License-Identifier: GPL-2.0
# mk/kernels.mk: the kernel matrix (included by the top Makefile).
#
#   make check-kernels     prepare 6.1, 6.1-rt, 6.12, 6.12-rt and sid's newest kernel
#                          (cached in $(GPUPT_KCACHE)), build gpupt.ko against each with
#                          W=1, run the core VM tests on the bootable ones, print the table
#                          and write tests/kernels/TESTED.md.  Needs root and a Debian 12 host.
#   make prepare-kernels   only download/unpack/debootstrap the kernels
#   make clean-kernels     forget the cache (the next run re-creates it)
#
# GPUPT_KERNELS="6.12 sid" restricts the matrix, GPUPT_KTESTS_ON="6.12 sid" the
# VM tests; see tests/kernels/check.sh for the rest.

GPUPT_KCACHE ?= /var/cache/gpupt-kernels
export GPUPT_KCACHE

# deps is the top Makefile's (Debian packages); prepare.sh also installs the
# few it needs itself (debootstrap, dwarves, xz-utils) when they are missing.
check-kernels: deps
	bash tests/kernels/check.sh

prepare-kernels:
	bash tests/kernels/prepare.sh

clean-kernels:
	-umount $(GPUPT_KCACHE)/sid/proc 2>/dev/null
	rm -rf --one-file-system $(GPUPT_KCACHE)

.PHONY: check-kernels prepare-kernels clean-kernels
