#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t39-handoff-holders: taking a GPU from a live host.  The GPU (bochs-drm,
# its fbdev carrying fbcon's console) and its audio function (snd_hda_intel
# with a real codec, so a sound card registers) are on their host drivers.
# Before it unbinds anything, handoff --force finds every holder and
# refuses within a second, nothing moved, naming each one: a process with
# /dev/dri/card0 open, the systemd unit it runs in, a process with
# /dev/snd/controlC0 open, the console.  --release-host unbinds the console
# and moves both; release gives the desktop back: bochs-drm, /dev/fb0 and
# fbcon bound again.  Last, the same audio holder against a bare sysfs
# unbind: it waits (D state) until the file is closed; that is the hang
# gptctl avoids.
#
#   pcie.0
#   └── 00:01.0 pcie-root-port rp1 (2.5GT/s x1)
#       └── 01:00.0 VGA 1234:1111 (multifunction)  bochs-drm, fb0, fbcon } one IOMMU
#           01:00.1 intel-hda 8086:2668            snd_hda_intel, card0 } group
#               └── hda-duplex codec (audiodev none)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/handoff-lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

GPU=0000:01:00.0 AUD=0000:01:00.1
topo_root_port 1
topo_gpu_slot rp1 gpu0
# The codec: without one snd_hda_intel finds no codec and registers no card.
VM_DEVS+=(-audiodev none,id=snd0 -device hda-duplex,bus=gpu0-audio.0,audiodev=snd0)
vm_boot

# The guest's console state: "vtconN bind name" of fbcon's vtcon.
fbcon() {
	vm_run 'for v in /sys/class/vtconsole/vtcon*; do
		grep -q "frame buffer" $v/name && echo "${v##*/} $(cat $v/bind) $(cat $v/name)"; done'
}
# hold FILE: a process (sleep) with FILE open on fd 3; prints its pid.  It
# sleeps forever: a starved guest's clock can jump by thousands of seconds.
hold() {
	vm_run "setsid bash -c 'exec 3<$1; exec sleep infinity' </dev/null >/dev/null 2>&1 &
		echo \$!
		for i in \$(seq 100); do ls -l /proc/\$!/fd 2>/dev/null | grep -q ' $1\$' && exit 0; sleep 0.05; done; exit 1"
}
unhold() {
	vm_run "kill $1; for i in \$(seq 100); do kill -0 $1 2>/dev/null || exit 0; sleep 0.05; done; exit 1"
}
# timed ARGS: gptctl ARGS in the guest, timed there (what the user waits
# for, without the rig's round trip): H_OUT, H_ERR, H_RC of the last run;
# MS, the best of 3 runs (a refusal changes nothing, so it can be
# repeated); BASE, the best of 3 plain "gptctl show" (process start and a
# netlink round trip), so that a loaded host (5+ TCG VMs: a process start
# can take seconds) does not pass for a wait on a holder.
timed() {
	frag "ms() { local t0=\${EPOCHREALTIME/./}; \"\$@\"; local rc=\$?; echo \$(( (\${EPOCHREALTIME/./} - t0) / 1000 )) >>/tmp/holders-ms; return \$rc; }
		rm -f /tmp/holders-ms
		for i in 1 2 3; do ms gptctl show $GPU >/dev/null; done
		for i in 1 2 3; do ms gptctl $* >/dev/null 2>&1; done
		gptctl $*"
	read -r BASE MS < <(vm_run "sed -n 1,3p /tmp/holders-ms | sort -n | head -n1 | tr '\n' ' '
		sed -n 4,6p /tmp/holders-ms | sort -n | head -n1")
}
# fast: refused within 1 s.  On a loaded host (the rig's measurement: a
# plain gptctl show, best of 3, over 300 ms; 5+ TCG VMs on 2 cores make a
# process start take seconds) 1 s cannot be told from the load: then it
# must be under 5 s, still far from the unbounded wait of a bare unbind,
# and the diagnostic says the 1 s bound was not checked.
fast() {
	[ "$MS" -lt 1000 ] && return 0
	if [ "$BASE" -gt 300 ] && [ "$MS" -lt 5000 ]; then
		echo "# loaded host: gptctl show took $BASE ms; refused in $MS ms; the 1 s bound is not checked"
		return 0
	fi
	echo "# took $MS ms, a plain gptctl show $BASE ms (best of 3 each)"
	return 1
}
frag() {	# as handoff-lib's h_gptctl, for a whole fragment
	local tmp=$RIG_CACHE/run/h_gptctl.$$.out
	vm_run "$*" >"$tmp"; H_RC=$?
	H_OUT=$(cat "$tmp"); rm -f "$tmp"
	H_ERR=$(cat "$VM_LAST_ERR" 2>/dev/null)
	return $H_RC
}

t_check "host drivers bind: bochs-drm with fb0, snd_hda_intel with card0" eval '
	vm_run "modprobe -a bochs snd-hda-intel gpupt && for i in \$(seq 200); do
		[ -e /dev/fb0 ] && [ -e /dev/snd/controlC0 ] && [ -e /dev/dri/card0 ] && exit 0; sleep 0.1; done; exit 1" &&
	h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD'
t_check "fbcon is bound to the console (vtcon bind=1, frame buffer device)" eval '
	assert_match "^vtcon[0-9]+ 1 \(M\) frame buffer device$" "$(fbcon)" "fbcon vtcon"'
VT=$(fbcon | cut -d" " -f1)
STATE=$(vm_pci_state)

# (3) A process holds the DRM card node.
P=$(hold /dev/dri/card0)
timed handoff --force $GPU
t_check "DRM holder: handoff --force refused with exit 1 in ${MS} ms (< 1000; gptctl show: $BASE ms)" eval '
	assert_eq 1 "$H_RC" "exit status" && fast'
t_check "it names pid $P, its command and /dev/dri/card0" eval '
	assert_contains "$GPU is in use: /dev/dri/card0 is open in sleep (pid $P)" "$H_ERR" stderr &&
	assert_contains "Device or resource busy" "$H_ERR" stderr'
t_check "it also names the console, on its own line" eval '
	assert_match "$GPU is in use: the console $VT \(\(M\) frame buffer device\) is bound to its framebuffer fb0; remedy: gptctl handoff --force --release-host $GPU" "$H_ERR" stderr'
h_gptctl -j handoff --force $GPU
t_check "JSON: the same holders, with pid, command, file, unit and remedy" eval '
	assert_eq "process $P sleep /dev/dri/card0 null" \
		"$(jq -r ".holders[] | select(.kind == \"process\") | \"\(.kind) \(.pid) \(.command) \(.file) \(.unit)\"" <<<"$H_OUT")" holders &&
	assert_eq "console $GPU" "$(jq -r ".holders[] | select(.kind == \"console\") | \"\(.kind) \(.address)\"" <<<"$H_OUT")" console'
t_check "nothing moved" eval 'assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
timed claim --force $GPU
t_check "claim --force is refused the same way (${MS} ms; gptctl show: $BASE ms)" eval '
	assert_eq 1 "$H_RC" "exit status" && fast &&
	assert_contains "$GPU is in use: /dev/dri/card0 is open in sleep (pid $P)" "$H_ERR" stderr &&
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state"'
h_gptctl -j doctor $GPU
DOC=$(jq -r '.[] | select(.check == "holders") | "\(.status) \(.detail) => \(.remedy)"' <<<"$H_OUT")
t_check "doctor: each holder is a WARN line with its remedy" eval '
	assert_eq 2 "$(grep -c "^WARN a handoff would be refused: " <<<"$DOC")" "holder lines: $DOC" &&
	assert_contains "/dev/dri/card0 is open in sleep (pid $P) => stop sleep (pid $P)" "$DOC" doctor &&
	assert_contains "the console $VT" "$DOC" doctor &&
	assert_contains "=> gptctl handoff --force --release-host $GPU" "$DOC" doctor'

# (5) The same process in a systemd unit's cgroup.
t_check "the holder moves into system.slice/display-manager.service" vm_run "
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
	mkdir -p /sys/fs/cgroup/system.slice/display-manager.service &&
	echo $P >/sys/fs/cgroup/system.slice/display-manager.service/cgroup.procs &&
	grep -x '0::/system.slice/display-manager.service' /proc/$P/cgroup"
timed handoff --force $GPU
t_check "refused, naming the unit and the command that stops it" eval '
	assert_eq 1 "$H_RC" "exit status" &&
	assert_contains "$GPU is in use: /dev/dri/card0 is open in sleep (pid $P) in display-manager.service; remedy: systemctl stop display-manager.service" "$H_ERR" stderr'
t_check "the DRM holder exits" unhold $P

# (2) A process holds the sound card's control node.
P=$(hold /dev/snd/controlC0)
timed handoff --force --release-host $GPU
t_check "audio holder: handoff --force --release-host refused with exit 1 in ${MS} ms (< 1000; gptctl show: $BASE ms)" eval '
	assert_eq 1 "$H_RC" "exit status" && fast'
t_check "it names pid $P and /dev/snd/controlC0 (of $AUD, the group member)" eval '
	assert_contains "$AUD is in use: /dev/snd/controlC0 is open in sleep (pid $P)" "$H_ERR" stderr'
t_check "--release-host does not list the console: it would release it" eval '
	! assert_contains "the console" "$H_ERR" stderr >/dev/null'
t_check "snd_hda_intel still drives the card, fbcon still has the console" eval '
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state" &&
	vm_run "[ -e /proc/asound/card0 ]" && assert_eq 1 "$(fbcon | cut -d" " -f2)" "vtcon bind"'
t_check "the audio holder exits" unhold $P

# (1) The console.
timed handoff --force $GPU
t_check "no process holds it: handoff --force is refused for the console alone" eval '
	assert_eq 1 "$H_RC" "exit status" &&
	assert_contains "the console $VT" "$H_ERR" stderr &&
	assert_eq 1 "$(grep -c "is in use" <<<"$H_ERR")" "holder lines"'
h_gptctl handoff --force --release-host --dry-run $GPU
t_check "--dry-run prints the plan: unbind the console, then move the group" eval '
	assert_eq 0 "$H_RC" "exit status" &&
	assert_match "plan \(dry run\)
  $GPU  unbind_console $VT: the console $VT [^
]*
  $GPU  bochs-drm -> vfio-pci  BLOCKED: -
  $AUD  snd_hda_intel -> vfio-pci  BLOCKED: -" "$H_OUT" plan &&
	assert_eq "$STATE" "$(vm_pci_state)" "PCI state (dry run)"'
h_gptctl handoff --force --release-host $GPU
t_check "handoff --force --release-host moves both to vfio-pci" eval '
	assert_eq 0 "$H_RC" "exit status: $H_ERR" && h_drivers_are "vfio-pci vfio-pci" $GPU $AUD'
t_check "the console is unbound (fbcon gone or bind=0)" eval '
	b=$(fbcon | cut -d" " -f2); [ "${b:-0}" = 0 ] || { echo "# fbcon: $(fbcon)"; false; }'
t_check "a nested QEMU opens the group" eval '
	out=$(vm_nested_info_pci "-device vfio-pci,host=$GPU,addr=05.0,multifunction=on -device vfio-pci,host=$AUD,addr=05.1") &&
	assert_contains "1234:1111" "$out" "nested info pci" &&
	assert_contains "8086:2668" "$out" "nested info pci"'

# (1) The way back.
t_check "reclaim: both back on gpupt" eval 'h_gptctl reclaim $GPU >/dev/null && h_drivers_are "gpupt gpupt" $GPU $AUD'
h_gptctl release $GPU
t_check "release: bochs-drm and snd_hda_intel are back" eval '
	assert_eq 0 "$H_RC" "exit status: $H_ERR" && h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD'
t_check "release says the console is bound again" eval '
	assert_match "console: vtcon[0-9]+ bound to $GPU" "$H_OUT" stdout'
t_check "/dev/fb0 exists and fbcon is bound again (bind=1)" eval '
	vm_run "[ -c /dev/fb0 ]" && assert_match "^vtcon[0-9]+ 1 \(M\) frame buffer device$" "$(fbcon)" "fbcon vtcon"'
t_check "the sound card is registered again" vm_run \
	"for i in \$(seq 100); do [ -e /dev/snd/controlC0 ] && exit 0; sleep 0.1; done; exit 1"

# (2) What gptctl avoids: a bare sysfs unbind with the same holder.
P=$(hold /dev/snd/controlC0)
t_check "bare sysfs unbind with controlC0 held: still waiting after 3 s (D state in the ALSA card release)" vm_run "
	setsid bash -c 'echo $AUD >/sys/bus/pci/drivers/snd_hda_intel/unbind' </dev/null >/dev/null 2>&1 &
	echo \$! >/tmp/unbind.pid; sleep 3
	u=\$(cat /tmp/unbind.pid); st=\$(awk '{print \$3}' /proc/\$u/stat)
	echo \"unbind: state \$st, wchan \$(cat /proc/\$u/wchan); stack:\"; cat /proc/\$u/stack
	[ \"\$st\" = D ]"
UNBIND_OUT=$(cat "$VM_LAST_OUT")
echo "$UNBIND_OUT" | sed 's/^/# /'
t_check "the unbind waits in snd_card_free" eval 'assert_contains "snd_card_free" "$UNBIND_OUT" "unbind stack"'
t_check "once the holder exits, the unbind finishes (within 10 s)" eval '
	unhold $P && vm_run "u=\$(cat /tmp/unbind.pid); for i in \$(seq 100); do kill -0 \$u 2>/dev/null || exit 0; sleep 0.1; done; exit 1" &&
	h_drivers_are "bochs-drm -" $GPU $AUD'
t_check "and the driver binds again" eval '
	vm_run "echo $AUD >/sys/bus/pci/drivers/snd_hda_intel/bind" && h_drivers_are "bochs-drm snd_hda_intel" $GPU $AUD'
t_done
