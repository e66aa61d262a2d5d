# SPDX-License-Identifier: GPL-2.0
# mk/debug.mk: the debug-kernel build and runs (included by the top Makefile).
#
#   make debug-kernel   build (once, cached in $(GPUPT_DEBUG_DIR)) a 6.1 kernel
#                       with KASAN, lockdep, UBSAN, KFENCE and failslab
#   make check-debug    build gpupt.ko against it and run the whole VM suite
#                       on it; any BUG/WARNING/KASAN/UBSAN/lockdep/hung-task
#                       report fails the run.  Not part of CI (too long).

GPUPT_DEBUG_DIR ?= /var/cache/gpupt-kernels/debug-6.1
export GPUPT_DEBUG_DIR

debug-kernel:
	tests/debug/build-kernel.sh

check-debug: deps
	$(MAKE) ctl
	tests/debug/check.sh

.PHONY: debug-kernel check-debug
