#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t27-privilege: an unprivileged user can list, but cannot
# claim: the kernel answers EPERM (GENL_ADMIN_PERM) and gptctl says
# "Operation not permitted".
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111    held (ids=)
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 edu 1234:11e8    no driver; the claim target
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

topo_root_port 1
topo_vga rp1 gpu0
topo_root_port 2
topo_edu rp2 edu2
vm_boot --gpupt-initramfs "ids=1234:1111"

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --reset-env"
t_check "nobody (uid 65534) can run gptctl list" eval '
	out=$(vm_run "$NOBODY gptctl list") && assert_contains "01:00.0" "$out" "gptctl list as nobody"'
t_check "nobody can run gptctl -j list" eval '
	vm_run "$NOBODY gptctl -j list" | jq -e "map(select(.address == \"0000:01:00.0\" and .held)) | length == 1" >/dev/null'
t_check_rc 1 "gptctl claim 02:00.0 as nobody exits 1" vm_run "$NOBODY gptctl claim 0000:02:00.0"
t_check "... and says \"Operation not permitted\" on stderr" \
	eval 'vm_run "$NOBODY gptctl claim 0000:02:00.0 2>&1 >/dev/null" | grep -q "Operation not permitted"'
t_check "gptctl unclaim 01:00.0 as nobody fails with \"Operation not permitted\"" \
	eval 'out=$(vm_run "$NOBODY gptctl unclaim 0000:01:00.0 2>&1"); [ $? = 1 ] && assert_contains "Operation not permitted" "$out"'
t_check "nothing changed: 02:00.0 unbound, 01:00.0 on gpupt" \
	eval 'vm_driver_is 0000:02:00.0 "" && vm_driver_is 0000:01:00.0 gpupt'
t_check "root can claim 02:00.0" eval 'vm_run "gptctl claim 0000:02:00.0" >/dev/null && vm_driver_is 0000:02:00.0 gpupt'
t_done
