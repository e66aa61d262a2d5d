#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t23-addrs: addrs= claims one of two identical devices,
# whatever their ID, and leaves the other alone; both address forms
# ([domain:]bus:dev.fn) work.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 edu 1234:11e8  "edu1"
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 edu 1234:11e8  "edu2"
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko

topo_root_port 1
topo_edu rp1 edu1
topo_root_port 2
topo_edu rp2 edu2
vm_boot

t_check "modprobe gpupt addrs=0000:02:00.0" vm_run 'modprobe gpupt addrs=0000:02:00.0'
t_check "gpupt holds 02:00.0" vm_driver_is 0000:02:00.0 gpupt
t_check "gpupt leaves the identical 01:00.0 alone" vm_driver_is 0000:01:00.0 ""
t_check "rmmod gpupt releases 02:00.0" \
	eval 'vm_run "rmmod gpupt" && vm_driver_is 0000:02:00.0 ""'
t_check "modprobe gpupt addrs=01:00.0 (no domain)" vm_run 'modprobe gpupt addrs=01:00.0'
t_check "gpupt holds 01:00.0" vm_driver_is 0000:01:00.0 gpupt
t_check "gpupt leaves 02:00.0 alone" vm_driver_is 0000:02:00.0 ""
t_done
