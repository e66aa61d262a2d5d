#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest agent: PID 1 of the rig guest after switch_root.  It finishes the
# root (tmpfs /run, devpts, module tree with gpupt.ko, gptctl on PATH) and then serves commands from the host over a virtio-serial port:
#
#   host -> guest   "ID\n"           run /rig/cmd/ID (a bash fragment)
#   guest -> host   "DONE ID RC\n"   stdout/stderr are in /rig/out/ID.{out,err}
#
# Each command runs in a subshell of this shell (fork, no exec), with stdin
# from /dev/null, so a fragment costs only the processes it starts itself.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LC_ALL=C TERM=dumb
. /rig/env

# Setup errors go to /rig/setup.err; vm_boot fails the boot when it is not
# empty.
setup() {
	# /tmp stays the overlay's (writable, tmpfs-backed): a tmpfs mounted on
	# it would hide a checkout under the host's /tmp (git clone into
	# mktemp -d), and with it gptctl and the module tree.  /run is the
	# host's runtime state, so it gets a fresh tmpfs.
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir -p /dev/pts /dev/shm /run/lock
	mount -t devpts devpts /dev/pts
	# what udev/systemd add to a devtmpfs /dev: bash's <(...) (dkms uses
	# it) needs /dev/fd
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	for f in stdin:0 stdout:1 stderr:2; do
		[ -e "/dev/${f%:*}" ] || ln -s "/proc/self/fd/${f#*:}" "/dev/${f%:*}"
	done
	mount -t tmpfs tmpfs /dev/shm
	[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug
	ln -sf /proc/self/mounts /etc/mtab
	echo rig-guest >/proc/sys/kernel/hostname
	echo 1 >/proc/sys/kernel/sysrq	# vm_diag_hang: SysRq-W (blocked tasks) to dmesg

	# The module tree the rig prepared on the host (depmod'ed, gpupt.ko in
	# extra/, everything else symlinks to the real tree) becomes the guest's
	# /lib/modules/KVER, so modprobe gpupt works and request_module() (which
	# runs /sbin/modprobe in this root) finds it.  When the host's root has
	# that tree, only the index files and extra/ are copied over it (a bind
	# mount would make the symlinks point at themselves).
	if [ -n "$RIG_MODDIR" ]; then
		if [ -d "/lib/modules/$RIG_KVER/kernel" ]; then
			cp -r "$RIG_MODDIR"/modules.* "$RIG_MODDIR/extra" "/lib/modules/$RIG_KVER/"
		else
			mkdir -p /lib/modules
			ln -sfn "$RIG_MODDIR" "/lib/modules/$RIG_KVER"
		fi
	fi
	if [ -e "$RIG_GPTCTL" ]; then
		ln -sf "$RIG_GPTCTL" /usr/local/bin/gptctl	# on every user's PATH
	fi
}
setup 2>/rig/setup.err

# serve PORTNAME: the command loop on the virtio port named PORTNAME.
serve() {
	local n port=
	for n in /sys/class/virtio-ports/*/name; do
		[ "$(<"$n")" = "$1" ] && { port=${n%/name}; port=/dev/${port##*/}; }
	done
	if [ -z "$port" ]; then
		echo "<5>rig-agent: no virtio port named $1" >/dev/kmsg
		return 1
	fi
	exec 3<>"$port"
	echo "<5>rig-agent: $1 ready on $port" >/dev/kmsg
	echo "READY $EPOCHREALTIME" >&3
	while read -r id <&3; do
		case $id in
		POWEROFF) sync; exec /bin/busybox poweroff -f ;;
		''|*[!A-Za-z0-9_.-]*) echo "BAD $id" >&3; continue ;;
		esac
		(cd /root 2>/dev/null || cd /; . "/rig/cmd/$id") </dev/null >"/rig/out/$id.out" 2>"/rig/out/$id.err" 3>&-
		rc=$?
		echo "$rc" >"/rig/out/$id.rc"	# tells a lost DONE from a hang
		echo "DONE $id $rc" >&3
	done
	echo "<5>rig-agent: host closed $1" >/dev/kmsg
}

# A second loop on its own port, for the host's diagnostics (vm_diag) while
# the main loop is stuck in a command that does not return.
serve rig.diag &
serve rig.agent
exec /bin/busybox poweroff -f
