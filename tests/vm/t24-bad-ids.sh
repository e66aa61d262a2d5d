#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t24-bad-ids: malformed ids= entries are reported in
# dmesg with their text and skipped; the module still loads and claims the
# valid entry.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1
#       └── 01:00.0 edu 1234:11e8  "edu1"   <- the one valid entry
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko

topo_root_port 1
topo_edu rp1 edu1
vm_boot

t_check "modprobe gpupt ids=zz:1,10de,1234:11e8 succeeds" \
	vm_run 'dmesg -C; modprobe gpupt ids=zz:1,10de,1234:11e8'
t_check "gpupt is loaded" vm_run 'grep -q "^gpupt " /proc/modules'
t_check "dmesg names the malformed entry 'zz:1'" \
	vm_run 'dmesg | grep gpupt | grep -v "ids=zz:1,10de" | grep -q "zz:1"'
t_check "dmesg names the malformed entry '10de'" \
	vm_run 'dmesg | grep gpupt | grep -v "zz:1,10de" | grep -Eq "(^|[^0-9a-fA-F:])10de([^0-9a-fA-F:]|$)"'
t_check "the valid entry 1234:11e8 is claimed" vm_driver_is 0000:01:00.0 gpupt
t_done
