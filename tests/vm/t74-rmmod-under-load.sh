#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t74-rmmod-under-load: `rmmod gpupt` while `gptctl
# monitor` listens and a `gptctl -j list` loop and a raw DEV_GET/BARS_GET
# storm (nlfuzz -T -r: read-only) keep the
# family busy.  The unload is clean, the functions gpupt held are left
# without a driver (as pci-stub leaves them), each sends a "remove" event
# first, the monitor exits saying the module went away, the list loop
# only ever sees "ok" or "module not loaded", and loading the module again
# claims the functions again.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 (multifunction)   held (addrs=)
#   │       01:00.1 intel-hda 8086:2668             held (addrs=)
#   ├── 00:02.0 pcie-root-port rp2
#   │   └── 02:00.0 edu 1234:11e8                   claimed at runtime (driver_override gpupt)
#   └── 00:03.0 pcie-root-port rp3
#       └── 03:00.0 edu 1234:11e8                   on vfio-pci (handed off): not gpupt's to drop
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

NLFUZZ=$RIG_TOP/tests/nlfuzz/nlfuzz
make -s -C "$RIG_TOP/tests/nlfuzz" >/dev/null || { echo "Bail out! cannot build tests/nlfuzz"; exit 1; }
GPU=0000:01:00.0 AUD=0000:01:00.1 EDU=0000:02:00.0 VF=0000:03:00.0
OPTS="addrs=$GPU,$AUD"

topo_root_port 1
topo_gpu_slot rp1 gpu0
topo_root_port 2
topo_edu rp2 edu2
topo_root_port 3
topo_edu rp3 edu3
vm_boot --gpupt-initramfs "$OPTS"

setup() {
	local c t0
	for c in "modprobe vfio-pci" "gptctl claim $EDU" "gptctl claim $VF" "gptctl handoff --single $VF"; do
		t0=$(rig_now)
		vm_run_q "$c" || return 1
		echo "# $c: $((($(rig_now) - t0) / 1000)) ms"
	done
	vm_driver_is $GPU gpupt && vm_driver_is $AUD gpupt && vm_driver_is $EDU gpupt && vm_driver_is $VF vfio-pci
}
t_check "setup: 01:00.0/.1 held, 02:00.0 claimed, 03:00.0 handed off to vfio-pci" setup
vm_run_q "dmesg -C"

vm_run_q "gptctl monitor >/tmp/monitor.out 2>/tmp/monitor.err & echo \$! >/tmp/monitor.pid
	(while :; do timeout 30 gptctl -j list >/dev/null 2>>/tmp/list.err; echo \$?; done >/tmp/list.log) & echo \$! >/tmp/list.pid
	$NLFUZZ -a $GPU,$AUD,$EDU,$VF -T 20 -j 2 -r >/tmp/storm.out 2>&1 & echo \$! >/tmp/storm.pid
	sleep 2"

# rmmod may meet a list loop's dump in flight (it holds a module
# reference; rmmod then says "in use"): it tries again, up to 50 times
t_check "rmmod gpupt under load succeeds (up to 50 tries, 0.1 s apart)" eval '
	out=$(vm_run "for i in \$(seq 50); do rmmod gpupt 2>>/tmp/rmmod.err && { echo \$i; exit 0; }; sleep 0.1; done; sort /tmp/rmmod.err | uniq -c >&2; exit 1") &&
	echo "# rmmod succeeded on try $out" && vm_run_q "[ ! -e /sys/module/gpupt ]"'
t_check "the functions gpupt held are left without a driver" eval '
	vm_driver_is $GPU "" && vm_driver_is $AUD "" && vm_driver_is $EDU ""'
t_check "the handed-off function stays on vfio-pci" vm_driver_is $VF vfio-pci
t_check "the monitor exits (status 3) saying the module went away" eval '
	for i in $(seq 1 25); do vm_run_q "kill -0 \$(cat /tmp/monitor.pid) 2>/dev/null" || break; sleep 0.2; done
	! vm_run_q "kill -0 \$(cat /tmp/monitor.pid) 2>/dev/null" &&
	err=$(vm_run "cat /tmp/monitor.err") && echo "# monitor: $err" && assert_contains "module unloaded" "$err" "monitor stderr"'
remove_events() {
	local out a
	out=$(vm_run "cat /tmp/monitor.out") || return 1
	echo "$out" | sed "s/^/# /"
	for a in $GPU $AUD $EDU; do assert_match "remove +$a" "$out" "monitor output" || return 1; done
}
t_check "a remove event came for each held function before the unload" remove_events
sleep 2
vm_run_q "kill \$(cat /tmp/list.pid); wait \$(cat /tmp/storm.pid) 2>/dev/null; sleep 0.3"
t_check "the list loop saw only exit 0 (listed) or 3 (module not loaded)" eval '
	codes=$(vm_run "sort /tmp/list.log | uniq -c | tr \"\n\" \" \"") && echo "# list exit codes: $codes" &&
	! vm_run "grep -Ev \"^(0|3|143)\$\" /tmp/list.log" | grep . &&
	vm_run "grep -qx 3 /tmp/list.log" && vm_run "grep -qx 0 /tmp/list.log"'
echo "# storm during the unload: $(vm_run 'grep -E "^storm: (.* operations|errors)" /tmp/storm.out | tr "\n" " "')"
t_check "dmesg: nothing at warning level or above (less the rig's TCG noise)" vm_dmesg_clean

t_check "modprobe gpupt $OPTS claims 01:00.0/.1 again, and 02:00.0 by its override" eval '
	vm_run_q "modprobe gpupt $OPTS" &&
	vm_driver_is $GPU gpupt && vm_driver_is $AUD gpupt && vm_driver_is $EDU gpupt && vm_driver_is $VF vfio-pci'
t_check "and the family answers: gptctl -j list shows them held" eval '
	vm_run "gptctl -j list" | jq -e "[.[] | select(.held)] | length == 3" >/dev/null'
t_check "a second unload and load, idle, is clean too" eval '
	vm_run_q "rmmod gpupt && modprobe gpupt $OPTS" && vm_driver_is $GPU gpupt'
t_done
