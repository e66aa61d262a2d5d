#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t53-reset-blast-switch: the blast radius of a bus reset is the secondary
# bus and every bus below it, not just the devices with the same bus number.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 x3130-upstream up1                      (switch)
#           ├── 02:00.0 xio3130-downstream dn1
#           │   └── 03:00.0 edu 1234:11e8     "edu0"   held by gpupt (ids=1234:11e8)
#           └── 02:01.0 xio3130-downstream dn2
#               └── 04:00.0 e1000e 8086:10d3  "nic0"   bound to e1000e (host driver)
#
# A bus reset "at the root port" is the reset of bus 01, asked for through
# the device on it (the switch's upstream port).  Asserts, in order: the
# dry-run plan lists all five devices below the root port and names the
# e1000e as the blocker; the real reset is refused with that message; a bus
# reset of the edu alone (bus 03, below dn1) is not blocked by its cousin.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
VM_DEVS+=(-device x3130-upstream,id=up1,bus=rp1,addr=00.0
	  -device xio3130-downstream,id=dn1,bus=up1,addr=00.0,chassis=11,slot=11
	  -device xio3130-downstream,id=dn2,bus=up1,addr=01.0,chassis=12,slot=12)
topo_edu dn1 edu0
topo_e1000e dn2 nic0
vm_boot --gpupt-initramfs "ids=1234:11e8"

t_check "gpupt holds the edu below the switch" vm_driver_is 0000:03:00.0 gpupt
t_check "e1000e binds the NIC below the switch" eval '
	vm_run "modprobe e1000e && for i in \$(seq 50); do
		[ -e /sys/bus/pci/devices/0000:04:00.0/driver ] && break; sleep 0.1; done" &&
	vm_driver_is 0000:04:00.0 e1000e'

t_check "the dry-run plan of a bus reset at the root port lists everything below it" eval '
	res=$(vm_run "gptctl -j reset 01:00.0 --method bus --dry-run") &&
	all=1 && for a in 01:00.0 02:00.0 02:01.0 03:00.0 04:00.0; do
		assert_contains "{\"address\":\"0000:$a\"," "$res" "affected" || all=0
	done && [ $all = 1 ] &&
	assert_contains "\"blocker\":\"0000:04:00.0 is bound to e1000e\"" "$res" "plan"'
t_check "the text plan shows the blast radius and the blocker" eval '
	res=$(vm_run "gptctl reset 01:00.0 --method bus --dry-run") &&
	assert_contains "blast radius: 0000:01:00.0 (pcieport) 0000:02:00.0 (pcieport) 0000:03:00.0 (gpupt) 0000:02:01.0 (pcieport) 0000:04:00.0 (e1000e)" "$res" "plan" &&
	assert_contains "blocked by: 0000:04:00.0 is bound to e1000e" "$res" "plan"'
t_check "the bus reset at the root port is refused, naming 04:00.0 and e1000e" eval '
	vm_run "gptctl reset 01:00.0 --method bus"; code=$?
	assert_eq 1 "$code" "exit status" &&
	assert_contains "0000:04:00.0 is bound to e1000e" "$(cat "$VM_LAST_ERR")" "stderr"'
t_check "nothing was reset" eval 'assert_eq 0 "$(vm_run "dmesg | grep -c \"reset (\" || true")" "resets in dmesg"'
t_check "the e1000e is still bound and its link is untouched" vm_driver_is 0000:04:00.0 e1000e

t_check "a bus reset of the edu alone (bus 03) plans only the edu" eval '
	res=$(vm_run "gptctl -j reset 03:00.0 --method bus --dry-run") &&
	assert_match "^\[\{\"address\":\"0000:03:00.0\",\"method\":\"bus\",\"affected\":\[\{\"address\":\"0000:03:00.0\",\"driver\":\"gpupt\"\}\],\"blocker\":null\}\]$" "$res" "plan"'
t_check "and it goes through" eval '
	res=$(vm_run "gptctl -j reset 03:00.0 --method bus") &&
	assert_match "^\[\{\"address\":\"0000:03:00.0\",\"method\":\"bus\",\"ok\":true," "$res" "result"'
t_done
