# SPDX-License-Identifier: GPL-2.0
# tests/vm/lib.sh: the gpupt VM rig.  Source it from a test script:
#
#   . "$(dirname "$0")/lib.sh"
#   topo_root_port 1
#   topo_gpu_slot rp1 gpu0              # VGA at 01:00.0 + intel-hda at 01:00.1
#   vm_boot --append "gpupt.ids=1234:1111"
#   t_check "gpupt holds the VGA" vm_driver_is 0000:01:00.0 gpupt
#   t_done
#
# The full API and the measured figures are in tests/vm/README.md.  Output is
# TAP (ok / not ok / skip lines, "# " diagnostics, a final plan line);
# tests/run-all aggregates it.

set -u

RIG_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG_TOP=$(cd "$RIG_VM_DIR/../.." && pwd)
RIG_CACHE=${RIG_CACHE:-$RIG_TOP/build/vm}
RIG_NAME=${RIG_NAME:-$(basename "$0" .sh)}
RIG_LOGDIR=${RIG_LOGDIR:-$RIG_CACHE/logs}
GPUPT_KO=${GPUPT_KO:-$RIG_TOP/kmod/gpupt.ko}
RIG_GPTCTL=${RIG_GPTCTL:-$RIG_TOP/ctl/gptctl}
RIG_TIMEOUT=${RIG_TIMEOUT:-120}		# seconds per vm_run
RIG_BOOT_TIMEOUT=${RIG_BOOT_TIMEOUT:-180}	# seconds until the agent is up
RIG_SMP=${RIG_SMP:-2}			# vCPUs, run by one host thread (RIG_ACCEL)
RIG_MEM=${RIG_MEM:-1G}
RIG_VERBOSE=${RIG_VERBOSE:-0}

# Modules the rig's initramfs loads (plus their dependencies from modules.dep).
RIG_INITRAMFS_MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_console"

VM_DEVS=()		# QEMU device arguments, filled by topo_* or by the test
VM_APPEND=""		# extra kernel command line
VM_RUN=""		# per-VM run directory (console, fifos, share)
VM_PID=""
VM_LAST_CMD="" VM_LAST_RC="" VM_LAST_OUT=/dev/null VM_LAST_ERR=/dev/null
VM_SEQ=0
T_NUM=0 T_FAILED=0 T_SKIPPED=0
RIG_VMLINUZ=""

rig_log() { [ "$RIG_VERBOSE" = 1 ] && echo "# [rig] $*" >&2; return 0; }
rig_die() { echo "Bail out! $*"; vm_stop; exit 1; }
rig_now() { echo "${EPOCHREALTIME/./}"; }	# microseconds

# ---------------------------------------------------------------------------
# Kernel selection: KVER, else the kernel gpupt.ko was built for, else the
# newest /lib/modules/* that has a bootable image.
# ---------------------------------------------------------------------------
rig_kernel_image() {	# KVER -> path of its bzImage
	local k=$1 f
	for f in "${RIG_KERNEL:-}" "/boot/vmlinuz-$k" "/lib/modules/$k/vmlinuz" "/usr/lib/modules/$k/vmlinuz"; do
		[ -n "$f" ] && [ -r "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

rig_resolve_kernel() {
	[ -n "${RIG_VMLINUZ:-}" ] && return 0
	local k=${KVER:-}
	if [ -z "$k" ] && [ -f "$GPUPT_KO" ]; then
		k=$(modinfo -F vermagic "$GPUPT_KO" 2>/dev/null)
		k=${k%% *}
	fi
	if [ -z "$k" ]; then
		local d
		for d in $(ls -1d /lib/modules/* 2>/dev/null | sort -V -r); do
			rig_kernel_image "${d##*/}" >/dev/null && { k=${d##*/}; break; }
		done
	fi
	[ -n "$k" ] || rig_die "no kernel found (set KVER= or install linux-image-amd64)"
	RIG_KVER=$k
	RIG_VMLINUZ=$(rig_kernel_image "$k") || rig_die "no kernel image for $k (/boot/vmlinuz-$k)"
	RIG_HOST_MODDIR=${RIG_HOST_MODDIR:-}
	if [ -z "$RIG_HOST_MODDIR" ]; then
		for d in "/lib/modules/$k" "/usr/lib/modules/$k"; do
			[ -f "$d/modules.dep" ] && { RIG_HOST_MODDIR=$d; break; }
		done
	fi
	[ -n "$RIG_HOST_MODDIR" ] || rig_die "no module tree for $k"
}

# ---------------------------------------------------------------------------
# Initramfs: busybox + the rig's modules, cached by content hash.
# ---------------------------------------------------------------------------
rig_modpath() {	# module name -> path relative to the module dir
	local n=${1//-/_} re
	re=${n//_/[-_]}
	grep -E -m1 "(^|/)${re}\.ko(\.[a-z]+)?:" "$RIG_HOST_MODDIR/modules.dep" | cut -d: -f1
}

rig_moddeps() {	# module paths in load order (dependencies first), no duplicates
	local -A seen=()
	local out=()
	_rig_visit() {
		local p=$1 d
		[ -n "${seen[$p]:-}" ] && return
		seen[$p]=1
		for d in $(grep -E -m1 "^${p//./\\.}:" "$RIG_HOST_MODDIR/modules.dep" | cut -d: -f2); do
			_rig_visit "$d"
		done
		out+=("$p")
	}
	local m p
	for m in "$@"; do
		p=$(rig_modpath "$m")
		[ -n "$p" ] || { rig_log "module $m not found (built in?)"; continue; }
		_rig_visit "$p"
	done
	printf '%s\n' "${out[@]}"
}

rig_copy_module() {	# modules.dep path, destination file (.ko, decompressed)
	local src=$RIG_HOST_MODDIR/$1
	case $src in
	*.ko.xz) xz -dc "$src" >"$2" ;;
	*.ko.zst) zstd -qdc "$src" >"$2" ;;
	*.ko.gz) gzip -dc "$src" >"$2" ;;
	*) cp "$src" "$2" ;;
	esac
}

rig_busybox() {
	local b
	for b in ${RIG_BUSYBOX:-} /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1 && { echo "$b"; return 0; }
	done
	return 1
}

# Prints the path of the cached base initramfs for RIG_KVER.
rig_initramfs() {
	rig_resolve_kernel
	local bb deps key out tmp p
	bb=$(rig_busybox) || rig_die "busybox-static is not installed"
	deps=$(rig_moddeps $RIG_INITRAMFS_MODULES)
	key=$( { cat "$bb" "$RIG_VM_DIR/init"; echo "$RIG_KVER"; echo "$deps";
		 for p in $deps; do cat "$RIG_HOST_MODDIR/$p"; done; } | sha256sum | cut -c1-16)
	out=$RIG_CACHE/initramfs-$RIG_KVER-$key.cpio.gz
	if [ ! -s "$out" ]; then
		mkdir -p "$RIG_CACHE"
		tmp=$(mktemp -d "$RIG_CACHE/initramfs.XXXXXX")
		mkdir -p "$tmp/bin" "$tmp/lib/rig-modules"
		cp "$bb" "$tmp/bin/busybox"
		cp "$RIG_VM_DIR/init" "$tmp/init"
		chmod 0755 "$tmp/init"
		: >"$tmp/modules.list"
		for p in $deps; do
			local base=${p##*/}
			base=${base%.ko*}.ko
			rig_copy_module "$p" "$tmp/lib/rig-modules/$base"
			echo "$base" >>"$tmp/modules.list"
		done
		(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp" &&
			mv "$out.tmp" "$out"
		rm -rf "$tmp"
		rig_log "built $out"
	fi
	echo "$out"
}

# A small cpio appended to the base initramfs: gpupt.ko (+ its dependencies)
# and its options, loaded by /init before anything else.
rig_gpupt_cpio() {	# options -> path
	local opts=$1 tmp out key dep
	[ -f "$GPUPT_KO" ] || rig_die "$GPUPT_KO is not built (run make)"
	key=$( { cat "$GPUPT_KO"; echo "$opts"; } | sha256sum | cut -c1-16)
	out=$RIG_CACHE/gpupt-$key.cpio.gz
	if [ ! -s "$out" ]; then
		tmp=$(mktemp -d "$RIG_CACHE/gpupt.XXXXXX")
		mkdir -p "$tmp/gpupt"
		cp "$GPUPT_KO" "$tmp/gpupt/gpupt.ko"
		echo "$opts" >"$tmp/gpupt/options"
		: >"$tmp/gpupt/deps"
		local depends
		depends=$(modinfo -F depends "$GPUPT_KO" | tr ',' ' ')
		for dep in $(rig_moddeps $depends); do
			local base=${dep##*/}
			base=${base%.ko*}.ko
			rig_copy_module "$dep" "$tmp/gpupt/$base"
			echo "$base" >>"$tmp/gpupt/deps"
		done
		(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp" && mv "$out.tmp" "$out"
		rm -rf "$tmp"
	fi
	echo "$out"
}

# The guest's /lib/modules/KVER: the host tree with gpupt.ko in extra/ and
# depmod run on the host (0.8 s natively, far longer under TCG).  Cached by
# the hash of gpupt.ko.  Prints the directory, or nothing without gpupt.ko.
rig_moddir() {
	[ -f "$GPUPT_KO" ] || return 0
	local key base dir f
	key=$( { cat "$GPUPT_KO"; echo "$RIG_HOST_MODDIR $RIG_VMLINUZ"; } | sha256sum | cut -c1-16)
	base=$RIG_CACHE/modroot-$key
	dir=$base/lib/modules/$RIG_KVER
	if [ ! -f "$dir/modules.dep.bin" ]; then
		# built aside and renamed into place: other tests may race us
		local tmp tdir
		tmp=$(mktemp -d "$RIG_CACHE/modroot.XXXXXX")
		tdir=$tmp/lib/modules/$RIG_KVER
		mkdir -p "$tdir/extra"
		for f in "$RIG_HOST_MODDIR"/*; do
			case ${f##*/} in
			modules.order|modules.builtin|modules.builtin.modinfo) cp "$f" "$tdir/" ;;
			modules.*|build|source) ;;
			*) ln -s "$f" "$tdir/${f##*/}" ;;
			esac
		done
		# The build configuration, where gptctl looks for it as on a
		# host (/lib/modules/KVER/config): a matrix kernel keeps it only
		# beside its image (boot/config-KVER), which the guest cannot see.
		f=${RIG_VMLINUZ%/*}/config-$RIG_KVER
		[ -e "$tdir/config" ] || [ ! -f "$f" ] || ln -s "$f" "$tdir/config"
		cp "$GPUPT_KO" "$tdir/extra/gpupt.ko"
		depmod -b "$tmp" "$RIG_KVER" || rig_die "depmod for $RIG_KVER failed"
		mv -T "$tmp" "$base" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

# ---------------------------------------------------------------------------
# Topology helpers: append QEMU arguments to VM_DEVS.
# ---------------------------------------------------------------------------
# topo_root_port N [extra]: pcie-root-port rpN at 00:N.0 (hex), chassis/slot
# N, link 2.5GT/s x1 so a secondary bus reset does not wait 1 s for training.
topo_root_port() {
	local n=$1 extra=${2:-}
	VM_DEVS+=(-device "pcie-root-port,id=rp$n,bus=pcie.0,addr=$(printf '0x%x' "$n").0,chassis=$n,slot=$n,x-speed=2_5,x-width=1${extra:+,$extra}")
}
# topo_vga BUS ID [addr] [extra]: QEMU VGA, 1234:1111, class 0300, has a ROM.
topo_vga() {
	VM_DEVS+=(-device "VGA,id=$2,bus=$1,addr=${3:-00.0}${4:+,$4}")
}
# topo_hda BUS ID [addr]: intel-hda (8086:293e, class 0403), no codec.
topo_hda() {
	VM_DEVS+=(-device "intel-hda,id=$2,bus=$1,addr=${3:-00.1}")
}
# topo_gpu_slot BUS ID: a GPU stand-in at fn 0 (multifunction) + its audio at fn 1.
topo_gpu_slot() {
	topo_vga "$1" "$2" 00.0 multifunction=on
	topo_hda "$1" "$2-audio" 00.1
}
# topo_ivshmem BUS ID [size] [addr]: ivshmem-plain, BAR2 = size (default 256G,
# 64-bit prefetchable; memory is reserved lazily: reserve=off).
topo_ivshmem() {
	local size=${3:-256G}
	VM_DEVS+=(-object "memory-backend-ram,id=$2-mem,size=$size,reserve=off"
		  -device "ivshmem-plain,id=$2,bus=$1,addr=${4:-00.0},memdev=$2-mem")
}
# topo_edu BUS ID [addr]: edu (1234:11e8).
topo_edu() {
	VM_DEVS+=(-device "edu,id=$2,bus=$1,addr=${3:-00.0}")
}
# topo_e1000e BUS ID [addr]: e1000e (8086:10d3) without a backend.
topo_e1000e() {
	VM_DEVS+=(-device "e1000e,id=$2,bus=$1,addr=${3:-00.0}")
}

# ---------------------------------------------------------------------------
# VM life cycle
# ---------------------------------------------------------------------------
# vm_boot [--append STR] [--gpupt-initramfs OPTS] [--mem SIZE] [--smp N]
#         [--ovmf] [--initrd FILE --no-agent] [--iommu intel|amd|none]
#         [--iommu-words WORDS] [-- QEMU ARGS...]
# Boots the guest with VM_DEVS (+ QEMU ARGS) and waits for the agent.
#   --gpupt-initramfs OPTS  pack gpupt.ko into the initramfs and insmod it
#                           with OPTS before any other module.
#   --no-agent              boot only (e.g. a foreign initrd); drive it with
#                           vm_console_send / vm_console_wait.
#   --iommu intel|amd|none  QEMU's intel-iommu (default; the firmware gets a
#                           DMAR table), amd-iommu (an IVRS table) or none.
#   --iommu-words WORDS     the IOMMU words of the kernel command line
#                           instead of the rig's (intel_iommu=on with
#                           intel-iommu, none otherwise); may be "".
vm_boot() {
	local append="$VM_APPEND" gpupt_opts="" use_gpupt=0 mem=$RIG_MEM smp=$RIG_SMP
	local ovmf=0 initrd="" agent=1 extra=() args=("$@") own_initrd=1
	local iommu=intel iommu_words=unset iommu_dev=() iommu_last=()
	while [ $# -gt 0 ]; do
		case $1 in
		--iommu) iommu=$2; shift 2 ;;
		--iommu-words) iommu_words=$2; shift 2 ;;
		--append) append="$append $2"; shift 2 ;;
		--gpupt-initramfs) use_gpupt=1; gpupt_opts=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--smp) smp=$2; shift 2 ;;
		--ovmf) ovmf=1; shift ;;
		--initrd) initrd=$2; own_initrd=0; shift 2 ;;
		--no-agent) agent=0; shift ;;
		--) shift; extra=("$@"); break ;;
		*) rig_die "vm_boot: unknown option $1" ;;
		esac
	done
	[ -z "$VM_PID" ] || vm_stop
	rig_resolve_kernel
	local t0 base
	t0=$(rig_now)
	VM_SEQ=$((VM_SEQ + 1))
	mkdir -p "$RIG_CACHE/run" "$RIG_LOGDIR"
	VM_RUN=$(mktemp -d "$RIG_CACHE/run/$RIG_NAME.XXXXXX")
	VM_CONSOLE=$RIG_LOGDIR/$RIG_NAME.$VM_SEQ.console.log
	: >"$VM_CONSOLE"
	mkdir -p "$VM_RUN/share/cmd" "$VM_RUN/share/out"
	VM_LAST_OUT=$VM_RUN/last.out VM_LAST_ERR=$VM_RUN/last.err
	: >"$VM_RUN/last.cmd"
	if [ -z "$initrd" ]; then
		local gcpio
		base=$(rig_initramfs) || rig_die "cannot build the initramfs: $base"
		initrd=$base
		if [ $use_gpupt = 1 ]; then
			gcpio=$(rig_gpupt_cpio "$gpupt_opts") || rig_die "cannot pack gpupt.ko: $gcpio"
			initrd=$VM_RUN/initrd.cpio.gz
			cat "$base" "$gcpio" >"$initrd"
		fi
	fi
	cp "$RIG_VM_DIR/agent.sh" "$VM_RUN/share/agent.sh"
	{
		echo "RIG_KVER=$RIG_KVER"
		echo "RIG_MODDIR=$(rig_moddir)"
		echo "RIG_GPTCTL=$RIG_GPTCTL"
		echo "RIG_TOP=$RIG_TOP"
	} >"$VM_RUN/share/env"
	mkfifo "$VM_RUN/agent.in" "$VM_RUN/agent.out" "$VM_RUN/qmp.in" "$VM_RUN/qmp.out" \
	       "$VM_RUN/con.in" "$VM_RUN/con.out" "$VM_RUN/diag.in" "$VM_RUN/diag.out"

	local fw=()
	[ $ovmf = 1 ] && fw=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=${RIG_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}")
	# panic=-1 oops=panic: a guest Oops ends QEMU (-no-reboot) and the test at
	# once.  Not with a foreign initrd: initramfs-tools' break= and its
	# rescue shell reboot instead of spawning the shell when panic= is set.
	# no_timer_check: on a loaded host the TCG guest is too slow for the
	# IO-APIC timer check, which then panics ("timer doesn't work through
	# Interrupt-remapped IO-APIC"); seen with 5+ VMs on 2 cores.
	case $iommu in
	intel)	iommu_dev=(-device intel-iommu,intremap=on,caching-mode=on)
		[ "$iommu_words" != unset ] || iommu_words=intel_iommu=on ;;
	# amd-iommu adds a PCI function (AMDVI-PCI) in the first free slot of
	# pcie.0, and has no addr property: it goes last, after the test's
	# devices, so it takes none of their slots.
	amd)	iommu_last=(-device amd-iommu,intremap=on) ;;
	none)	;;
	*)	rig_die "vm_boot: --iommu intel|amd|none, not '$iommu'" ;;
	esac
	[ "$iommu_words" != unset ] || iommu_words=
	local cmdline="console=ttyS0${iommu_words:+ $iommu_words} slub_debug=FZPU no_timer_check loglevel=${RIG_LOGLEVEL:-6}"
	[ $agent = 1 ] && cmdline="$cmdline panic=-1 oops=panic"
	cmdline="$cmdline $append"
	VM_QEMU=(qemu-system-x86_64 -name "rig-$RIG_NAME" -nodefaults -no-user-config
		-accel "${RIG_ACCEL:-tcg,thread=single}" -machine q35 -cpu max -smp "$smp" -m "$mem"
		"${iommu_dev[@]}"
		-display none -vga none -nic none -no-reboot "${fw[@]}"
		-kernel "$RIG_VMLINUZ" -initrd "$initrd" -append "$cmdline"
		-chardev "pipe,id=con,path=$VM_RUN/con,logfile=$VM_CONSOLE" -serial chardev:con
		-chardev "pipe,id=qmp,path=$VM_RUN/qmp" -mon chardev=qmp,mode=control
		-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
		-device "virtio-9p-pci,id=rig9p0,fsdev=hostroot,mount_tag=hostroot,bus=pcie.0,addr=0x18.0"
		-fsdev "local,id=rigshare,path=$VM_RUN/share,security_model=none"
		-device "virtio-9p-pci,id=rig9p1,fsdev=rigshare,mount_tag=rig,bus=pcie.0,addr=0x19.0"
		-device virtio-serial-pci,id=rigserial,bus=pcie.0,addr=0x1a.0
		-chardev "pipe,id=agent,path=$VM_RUN/agent"
		-device virtserialport,chardev=agent,name=rig.agent
		-chardev "pipe,id=diag,path=$VM_RUN/diag"
		-device virtserialport,chardev=diag,name=rig.diag
		"${VM_DEVS[@]}" "${extra[@]}" "${iommu_last[@]}")
	printf '%q ' "${VM_QEMU[@]}" >"$VM_RUN/qemu.cmd"
	rig_log "qemu: $(cat "$VM_RUN/qemu.cmd")"
	"${VM_QEMU[@]}" >"$VM_RUN/qemu.log" 2>&1 &
	VM_PID=$!
	trap 'vm_stop' EXIT
	trap 'exit 143' TERM INT HUP	# so that the EXIT trap stops QEMU
	# Our ends of the fifos, opened read-write so that no open blocks.
	exec {VM_AGENT_W}<>"$VM_RUN/agent.in" {VM_AGENT_R}<>"$VM_RUN/agent.out"
	exec {VM_DIAG_W}<>"$VM_RUN/diag.in" {VM_DIAG_R}<>"$VM_RUN/diag.out"
	exec {VM_QMP_W}<>"$VM_RUN/qmp.in" {VM_QMP_R}<>"$VM_RUN/qmp.out"
	exec {VM_CON_W}<>"$VM_RUN/con.in"
	# The console goes to the logfile; drain the fifo so QEMU never blocks.
	cat "$VM_RUN/con.out" >/dev/null &
	VM_DRAIN_PID=$!
	VM_HAS_AGENT=$agent
	vm_qmp_init || { vm_fail_diag "QEMU did not start: $(tail -5 "$VM_RUN/qemu.log")"; rig_die "QEMU did not start"; }
	[ $agent = 1 ] || return 0
	local line= deadline=$((SECONDS + RIG_BOOT_TIMEOUT)) why= stall=
	# A kernel that has not started the rig's /init within
	# RIG_EARLY_BOOT_TIMEOUT has stalled in early boot: seen under TCG, on
	# the debug kernel, as both vCPUs halted with no timer interrupt ever
	# arriving (CPU 1 still in the firmware); or it has panicked before
	# /init (sid's kernel, an int3 Oops under TCG).  Nothing of gpupt has
	# run then (it is loaded by /init), so the boot is retried once, with
	# the console kept; a stall whose console has a report is not retried.
	local early_s=$((${RIG_EARLY_BOOT_TIMEOUT:-150} + ovmf * 150))
	local early=$((SECONDS + early_s))
	while [ -z "$why" ]; do
		vm_read_agent line 2 && break
		if grep -aq 'Kernel panic - not syncing' "$VM_CONSOLE"; then
			why="the guest kernel panicked"
			# before /init: gpupt was not loaded (the sid kernel's
			# int3 Oops in early boot under TCG, once in 40 boots)
			[ $own_initrd = 1 ] && [ "${VM_BOOT_RETRIED:-0}" = 0 ] &&
				! grep -aq 'rig-init: started' "$VM_CONSOLE" &&
				stall="the kernel panicked before the rig's /init started: $(grep -a -m1 -E "$RIG_CONSOLE_BAD" "$VM_CONSOLE" | tr -d '\r')"
		elif ! vm_alive; then
			why="QEMU exited: $(tail -3 "$VM_RUN/qemu.log")"
		elif [ $SECONDS -ge $deadline ]; then
			why="the agent did not come up within ${RIG_BOOT_TIMEOUT}s"
		elif [ $own_initrd = 1 ] && [ $SECONDS -ge $early ] && [ "${VM_BOOT_RETRIED:-0}" = 0 ] &&
		     ! grep -aq 'rig-init: started' "$VM_CONSOLE" && ! grep -Eaq -- "$RIG_CONSOLE_BAD" "$VM_CONSOLE"; then
			stall="the kernel did not reach the rig's /init within ${early_s}s"
			why=$stall
		fi
	done
	if [ -n "$stall" ]; then
		local kept=${VM_CONSOLE%.console.log}.before-init.log
		echo "# boot stalled in early boot ($stall; console ${kept#"$RIG_TOP"/}, vCPU state: $(vm_alive && vm_stall_state)); retrying once"
		vm_stop
		# kept, but out of the test's console check: nothing of gpupt ran
		mv -f "$VM_CONSOLE" "$kept"
		local VM_BOOT_RETRIED=1
		vm_boot "${args[@]}"
		return
	fi
	[ -z "$why" ] && [ "${line%% *}" != READY ] && why="the agent said '$line' instead of READY"
	[ -z "$why" ] && [ -s "$VM_RUN/share/setup.err" ] &&
		why="the guest agent's setup failed: $(head -5 "$VM_RUN/share/setup.err" | tr '\n' ' ')"
	if [ -n "$why" ]; then
		vm_fail_diag "$why"
		rig_die "boot failed: $why"
	fi
	VM_BOOT_MS=$((($(rig_now) - t0) / 1000))
	echo "# booted $RIG_KVER in ${VM_BOOT_MS} ms (console: ${VM_CONSOLE#"$RIG_TOP"/})"
}

# rig_readline VAR FD TIMEOUT: one whole line from FD into VAR within TIMEOUT
# seconds (polling QEMU every second); fails early if QEMU exits.  bash's
# `read -t` returns the part of a line it had read when it timed out: that
# part is kept and the line completed by the next read.  (Dropping it lost
# agent replies on a loaded host: the command had finished, the host never
# saw its DONE.)
declare -A RIG_PARTIAL=()
rig_readline() {
	local -n _l=$1
	local fd=$2 deadline=$((SECONDS + $3)) part rc
	_l=
	while :; do
		IFS= read -r -t 1 -u "$fd" part
		rc=$?
		if [ $rc = 0 ]; then
			_l=${RIG_PARTIAL[$fd]:-}$part
			RIG_PARTIAL[$fd]=
			return 0
		fi
		[ $rc -gt 128 ] && RIG_PARTIAL[$fd]=${RIG_PARTIAL[$fd]:-}$part
		kill -0 "$VM_PID" 2>/dev/null || { rig_log "QEMU exited"; return 1; }
		[ $SECONDS -lt $deadline ] || return 1
	done
}

# vm_read_agent VAR TIMEOUT [FD]: a line from the agent (or channel FD).
vm_read_agent() { rig_readline "$1" "${3:-$VM_AGENT_R}" "$2"; }

vm_alive() { [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; }

vm_stop() {
	[ -n "$VM_PID" ] || return 0
	if kill -0 "$VM_PID" 2>/dev/null; then
		kill "$VM_PID" 2>/dev/null
		local i
		for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$VM_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$VM_PID" 2>/dev/null
	fi
	wait "$VM_PID" 2>/dev/null
	[ -n "${VM_DRAIN_PID:-}" ] && { kill "$VM_DRAIN_PID" 2>/dev/null; wait "$VM_DRAIN_PID" 2>/dev/null; }
	exec {VM_AGENT_W}>&- {VM_AGENT_R}<&- {VM_DIAG_W}>&- {VM_DIAG_R}<&- \
	     {VM_QMP_W}>&- {VM_QMP_R}<&- {VM_CON_W}>&- 2>/dev/null
	VM_PID="" VM_DRAIN_PID=""
	[ -n "$VM_RUN" ] && [ "${RIG_KEEP_RUN:-0}" != 1 ] && rm -rf "$VM_RUN"
	return 0
}

# rig_exec WFD RFD TIMEOUT ID CMD: sends the fragment CMD as ID on a
# channel and waits for its DONE; prints "RC" (124 on timeout).
rig_exec() {
	local wfd=$1 rfd=$2 timeout=$3 id=$4 line
	shift 4
	printf '%s\n' "$*" >"$VM_RUN/share/cmd/$id"
	echo "$id" >&"$wfd"
	while :; do
		vm_read_agent line "$timeout" "$rfd" || { echo 124; return; }
		[ "${line% *}" = "DONE $id" ] && break
		rig_log "agent: unexpected '$line'"
	done
	echo "${line##* }"
}

# vm_run CMD...: runs "$*" as a bash fragment in the guest (as root, cwd
# /root, stdin /dev/null).  Guest stdout goes to stdout; guest stderr is kept
# in the file $VM_LAST_ERR (and echoed to stderr with RIG_VERBOSE=1).
# Returns the fragment's exit status; 124 on timeout (RIG_TIMEOUT, or
# VM_TIMEOUT=N for one call), 125 if the VM is gone.  $VM_LAST_OUT and
# $VM_LAST_ERR are fixed paths (symlinks to the last call's files), so they
# are right even after out=$(vm_run ...); so are the files $VM_RUN/last.cmd
# and $VM_RUN/last.rc that the failure diagnostics print.  On a timeout the
# guest's processes and their kernel stacks are printed to stderr (vm_diag).
vm_run() {
	local id rc timeout=${VM_TIMEOUT:-$RIG_TIMEOUT}
	VM_LAST_CMD="$*"
	vm_alive || { VM_LAST_RC=125; echo "vm_run: the VM is not running" >&2; return 125; }
	[ "${VM_HAS_AGENT:-1}" = 1 ] || { VM_LAST_RC=125; echo "vm_run: booted with --no-agent" >&2; return 125; }
	VM_CMDSEQ=$((${VM_CMDSEQ:-0} + 1))
	id=c${BASHPID}_$VM_CMDSEQ
	if [ -z "${VM_NO_LAST:-}" ]; then
		printf '%s\n' "$*" >"$VM_RUN/last.cmd"
		ln -sfn "share/out/$id.out" "$VM_RUN/last.out"
		ln -sfn "share/out/$id.err" "$VM_RUN/last.err"
	fi
	rc=$(rig_exec "$VM_AGENT_W" "$VM_AGENT_R" "$timeout" "$id" "$*")
	VM_LAST_RC=$rc
	[ -z "${VM_NO_LAST:-}" ] && echo "$rc" >"$VM_RUN/last.rc"
	if [ "$rc" = 124 ]; then
		echo "vm_run: no answer within ${timeout}s: $*" >&2
		if [ -f "$VM_RUN/share/out/$id.rc" ]; then
			echo "vm_run: the command had finished (rc=$(<"$VM_RUN/share/out/$id.rc")) but its DONE line never arrived: a rig bug" >&2
		fi
		vm_alive && vm_diag_hang >&2
		return 124
	fi
	cat "$VM_RUN/share/out/$id.out"
	[ "$RIG_VERBOSE" = 1 ] && cat "$VM_RUN/share/out/$id.err" >&2
	return "$rc"
}

# vm_diag CMD...: like vm_run, on the agent's second channel, which answers
# while a vm_run is stuck.  Does not touch VM_LAST_*.
vm_diag() {
	local id rc
	vm_alive || return 125
	VM_CMDSEQ=$((${VM_CMDSEQ:-0} + 1))
	id=d${BASHPID}_$VM_CMDSEQ
	rc=$(rig_exec "$VM_DIAG_W" "$VM_DIAG_R" "${VM_TIMEOUT:-30}" "$id" "$*")
	[ "$rc" = 124 ] || { cat "$VM_RUN/share/out/$id.out" "$VM_RUN/share/out/$id.err"; }
	return "$rc"
}

# vm_diag_hang: what the guest is doing: its processes (no kernel threads)
# with their wait channel and kernel stack; blocked tasks also go to dmesg.
vm_diag_hang() {
	local lost
	# twice, a second apart: a vCPU may be sampled between being sent an
	# interrupt and being woken for it
	lost=$(vm_lost_interrupt) && sleep 1 && lost=$(vm_lost_interrupt) && printf 'QEMU lost an interrupt, so the guest stopped:\n%s\n' "$lost" | sed 's/^/  /'
	echo "guest processes (pid ppid stat wchan elapsed command) and kernel stacks:"
	vm_diag 'echo w >/proc/sysrq-trigger
		for p in /proc/[0-9]*; do
			mapfile -d "" args <$p/cmdline 2>/dev/null
			[ ${#args[@]} = 0 ] && continue	# kernel thread
			pid=${p#/proc/}
			[ $pid = $BASHPID ] && continue
			read -r _ _ st ppid _ <$p/stat
			cmd="${args[*]}"
			printf "%s %s %s %s %s\n" $pid $ppid $st "$(<$p/wchan)" "${cmd:0:100}"
			[ "$st" = R ] || sed "s/^/      /" $p/stack 2>/dev/null | head -12
		done' 2>&1 | sed 's/^/  /'
}

# vm_capture CMD...: vm_run in this shell with the results in variables:
# VM_OUT (stdout), VM_ERR (stderr), VM_RC (exit status, also returned).
VM_OUT="" VM_ERR="" VM_RC=""
vm_capture() {
	vm_run "$@" >/dev/null
	VM_RC=$?
	VM_OUT=$(cat "$VM_LAST_OUT" 2>/dev/null)
	VM_ERR=$(cat "$VM_LAST_ERR" 2>/dev/null)
	return "$VM_RC"
}

# vm_run_q CMD...: vm_run with stdout discarded (still kept in $VM_LAST_OUT).
vm_run_q() { vm_run "$@" >/dev/null; }

# ---------------------------------------------------------------------------
# QEMU monitor (QMP over a fifo; HMP commands through human-monitor-command)
# ---------------------------------------------------------------------------
VM_QMP_EVENTS=()
vm_qmp_init() {
	local line deadline=$((SECONDS + 20))
	while :; do
		rig_readline line "$VM_QMP_R" $((deadline - SECONDS)) || return 1
		[[ $line == *QMP* ]] && break
	done
	echo '{"execute":"qmp_capabilities"}' >&"$VM_QMP_W"
	vm_qmp_reply line 10
}

# Waits for the next reply (not event) line; events are kept in VM_QMP_EVENTS.
vm_qmp_reply() {
	local -n _r=$1
	local deadline=$((SECONDS + ${2:-30}))
	while :; do
		rig_readline _r "$VM_QMP_R" $((deadline - SECONDS)) || return 1
		case $_r in
		'{"event"'*|'{"timestamp"'*) VM_QMP_EVENTS+=("$_r") ;;
		*) return 0 ;;
		esac
	done
}

rig_json_str() {	# bash string -> JSON string literal
	local s=$1
	s=${s//\\/\\\\}; s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# vm_qmp JSON: sends a QMP command, prints its reply line; non-zero on error.
vm_qmp() {
	local reply
	echo "$1" >&"$VM_QMP_W"
	vm_qmp_reply reply 60 || { echo "vm_qmp: no reply to $1" >&2; return 1; }
	echo "$reply"
	[[ $reply != '{"error"'* ]]
}

# vm_monitor "HMP command": e.g. vm_monitor "device_del gpu0"; prints the
# HMP output.  Non-zero if QMP failed or HMP printed an error.
vm_monitor() {
	local reply out
	reply=$(vm_qmp "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":$(rig_json_str "$1")}}") || {
		echo "$reply" >&2; return 1; }
	out=${reply#*\"return\": \"}
	out=${out%\"\}*}
	out=${out//\\r/}
	out=${out//\\\"/\"}
	printf -v out '%b' "$out"
	printf '%s' "$out"
	case $out in *rror*|*"not found"*|*"Bus '"*) return 1 ;; esac
	return 0
}

# vm_vcpus: a line "N IP HLT" for every vCPU (its number, RIP=... or
# EIP=..., and 1 when it is halted), from the monitor's `info registers -a`.
vm_vcpus() {
	vm_monitor "info registers -a" 2>/dev/null |
		awk '/^CPU#/ { cpu = substr($1, 5) } /[ER]IP=/ { ip = hlt = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^[ER]IP=/) ip = $i; if ($i ~ /^HLT=/) hlt = substr($i, 5) } print cpu, ip, hlt }'
}

# vm_stall_state: every vCPU on one line (instruction pointer, halted or
# not): for a guest that stopped making progress.
vm_stall_state() {
	local cpu ip hlt sep=
	while read -r cpu ip hlt; do
		printf '%sCPU#%s: %s HLT=%s' "$sep" "$cpu" "$ip" "$hlt"
		sep=,
	done < <(vm_vcpus)
}

# vm_lost_interrupt: for a guest that stopped answering, whether QEMU lost
# an interrupt.  Prints a line for each halted vCPU whose local APIC holds
# a vector the guest can never see: pending in IRR above the processor
# priority (the vCPU was not woken for it), or in service (ISR) while the
# vCPU idles (its end-of-interrupt was lost).  Fails when there is none.
# Seen with QEMU 7.2's multi-threaded TCG under an IPI-heavy guest load,
# both vCPUs halted for good; the rig therefore runs TCG single-threaded.
vm_lost_interrupt() {
	local cpu ip hlt lapic isr irr ppr top found=1
	while read -r cpu ip hlt; do
		[ "$hlt" = 1 ] || continue
		lapic=$(vm_monitor "info lapic $cpu") || continue
		isr=$(sed -n 's/^ISR[[:space:]]*//p' <<<"$lapic" | tr -s ' \t' ' ')
		irr=$(sed -n 's/^IRR[[:space:]]*//p' <<<"$lapic" | tr -s ' \t' ' ')
		ppr=$(sed -n 's/.*PPR \(0x[0-9a-f]*\).*/\1/p' <<<"$lapic")
		isr=${isr# }; isr=${isr% }; irr=${irr# }; irr=${irr% }
		[ "$isr" = "(none)" ] && isr=
		[ "$irr" = "(none)" ] && irr=
		top=${irr##* }
		if [ -n "$isr" ]; then
			echo "vCPU $cpu idles with interrupt ${isr##* } still in service (PPR $ppr; pending: ${irr:-none}): its end-of-interrupt was lost"
			found=0
		elif [ -n "$top" ] && [ -n "$ppr" ] && [ $((top >> 4)) -gt $((ppr >> 4)) ]; then
			echo "vCPU $cpu idles with interrupt $top pending above its priority (PPR $ppr): QEMU never woke it"
			found=0
		fi
	done < <(vm_vcpus)
	return $found
}

# vm_qmp_wait_event NAME [TIMEOUT]: waits for a QMP event (e.g. DEVICE_DELETED).
vm_qmp_wait_event() {
	local name=$1 deadline=$((SECONDS + ${2:-30})) line e i
	while :; do
		for i in "${!VM_QMP_EVENTS[@]}"; do
			e=${VM_QMP_EVENTS[$i]}
			if [[ $e == *"\"event\": \"$name\""* ]]; then
				unset 'VM_QMP_EVENTS[i]'
				echo "$e"
				return 0
			fi
		done
		[ $SECONDS -lt $deadline ] || return 1
		rig_readline line "$VM_QMP_R" 1 && VM_QMP_EVENTS+=("$line")
	done
}

# ---------------------------------------------------------------------------
# Serial console (for guests without the agent, e.g. a Debian initrd)
# ---------------------------------------------------------------------------
vm_console_send() { printf '%s\n' "$*" >&"$VM_CON_W"; }
# vm_console_wait REGEX [TIMEOUT] [FROM_LINE]: waits until the console log
# matches REGEX (grep -E) after line FROM_LINE.
vm_console_wait() {
	local re=$1 deadline=$((SECONDS + ${2:-60})) from=${3:-0}
	while [ $SECONDS -lt $deadline ]; do
		tail -n +"$((from + 1))" "$VM_CONSOLE" | grep -Eq -- "$re" && return 0
		vm_alive || return 1
		sleep 0.5
	done
	return 1
}
vm_console_lines() { wc -l <"$VM_CONSOLE"; }

# vm_save_dmesg: keeps the guest's full dmesg (the console only shows
# loglevel < RIG_LOGLEVEL) next to the console log.
vm_save_dmesg() {
	vm_alive && [ "${VM_HAS_AGENT:-1}" = 1 ] || return 0
	VM_NO_LAST=1 VM_TIMEOUT=30 vm_run "dmesg" >"${VM_CONSOLE%.console.log}.dmesg" 2>/dev/null
	return 0
}

# What the rig's guests print at warning level or above on every boot, none
# of it about gpupt: TCG timing (PIT/APIC calibration, MTRRs, unstable
# clock, slow hrtimer interrupts, the TSC watchdog), slub_debug's
# no_hash_pointers banner, the out-of-tree module taint, intel-iommu without
# scalable mode, and intel-hda stand-ins without a codec.
RIG_DMESG_NOISE='^[[:space:]]|\] \*\*|tsc: Unable to calibrate against PIT|APIC calibration not consistent|mtrr: your CPUs had inconsistent|Unstable clock detected|hrtimer: interrupt took|clocksource: .*(unstable|watchdog)|timekeeping watchdog|loading out-of-tree module taints kernel|module verification failed|DMAR: VT-d Scalable Mode not enabled|snd_hda_intel [0-9a-f:.]+: no codecs found'

# vm_dmesg_warnings [ERE]: the guest's dmesg lines at warning level or above,
# less RIG_DMESG_NOISE and less the test's own ERE (expected messages).
vm_dmesg_warnings() {
	local out
	out=$(VM_NO_LAST=1 vm_run 'dmesg --level=emerg,alert,crit,err,warn') || return 1
	printf '%s\n' "$out" | grep -Ev -- "$RIG_DMESG_NOISE" | { if [ -n "${1:-}" ]; then grep -Ev -- "$1"; else cat; fi; }
	return 0
}
# vm_dmesg_clean [ERE]: assertion: vm_dmesg_warnings prints nothing.
vm_dmesg_clean() {
	local bad
	bad=$(vm_dmesg_warnings "${1:-}") || { echo "#   cannot read the guest's dmesg"; return 1; }
	[ -z "$bad" ] && return 0
	echo "#   dmesg at warning level or above:"
	printf '%s\n' "$bad" | head -30 | sed 's/^/#     /'
	return 1
}

# vm_console_check: fails (and prints the lines) if any guest console of
# this test shows a kernel warning, bug, oops or hung task.
RIG_CONSOLE_BAD='WARNING:|BUG:|Oops|general protection fault|hung task|blocked for more than|Kernel panic|KASAN|UBSAN|kernel BUG|possible circular locking|suspicious RCU|cannot create duplicate filename'
# On the debug kernel (GPUPT_DEBUG_KERNEL=1) a report listed in
# tests/debug/known-upstream (reproduced without gpupt), or printed while
# no out-of-tree module had been loaded (the report's taint flags lack O:
# gpupt was not loaded yet), is counted and named instead; any other report
# still fails.
RIG_KNOWN_UPSTREAM=${RIG_KNOWN_UPSTREAM:-$RIG_TOP/tests/debug/known-upstream}
# rig_console_reports KNOWN CONSOLE: one line per report in CONSOLE,
# "BAD<TAB>first line" or "KNOWN<TAB>what it is" (KNOWN: the list file, or
# /dev/null for none).
rig_console_reports() {
	awk -v bad="$RIG_CONSOLE_BAD" -v kf="$1" '
	function body(i,   n, j, p) {	# every &&-separated ERE of kb[i]
		n = split(kb[i], p, / *&& */)
		for (j = 1; j <= n; j++)
			if (blk !~ p[j])
				return 0
		return 1
	}
	function finish(   i, m) {
		m = "BAD\t" head
		# gpupt is out of tree: once it is loaded, every report says
		# "Tainted: ... O"; a report without O predates gpupt
		if (nk && (blk ~ /Not tainted/ || (blk ~ /Tainted: / && blk !~ /Tainted: [A-Z ]*O/))) {
			m = head
			sub(/^\[ *[0-9.]+\] /, "", m)
			m = "KNOWN\tno out-of-tree module loaded yet (not tainted O: gpupt not loaded): " m
		}
		for (i = 1; i <= nk && m ~ /^BAD/; i++)
			if (head ~ kh[i] && body(i)) { m = "KNOWN\t" kd[i]; break }
		print m
		inblk = 0
	}
	FILENAME == kf { if ($0 !~ /^#/ && NF >= 3) { nk++; kh[nk] = $1; kb[nk] = $2; kd[nk] = $3 }; next }
	{ sub(/\r$/, "") }
	inblk { blk = blk "\n" $0; if ($0 ~ /---\[ end trace|\] =+$/ || ++n > 300) finish(); next }
	$0 ~ bad { inblk = 1; head = $0; blk = $0; n = 0 }
	END { if (inblk) finish() }' FS='\t' "$1" FS=' ' "$2"
}
vm_console_check() {
	local f bad=0 known=/dev/null r
	[ "${GPUPT_DEBUG_KERNEL:-0}" = 1 ] && [ -f "$RIG_KNOWN_UPSTREAM" ] && known=$RIG_KNOWN_UPSTREAM
	for f in "$RIG_LOGDIR/$RIG_NAME".*.console.log; do
		[ -f "$f" ] || continue
		r=$(rig_console_reports "$known" "$f")
		grep '^KNOWN' <<<"$r" | cut -f2 | sort | uniq -c |
			sed "s|^ *\([0-9]*\) |# not gpupt's: report in ${f#"$RIG_TOP"/} (tests/debug/known-upstream), \1x: |"
		if grep -q '^BAD' <<<"$r"; then
			echo "# kernel reports in ${f#"$RIG_TOP"/}:"
			grep '^BAD' <<<"$r" | cut -f2 | sed 's/^/#   report: /'
			grep -Ea -B2 -A12 -- "$RIG_CONSOLE_BAD" "$f" | head -60 | sed 's/^/#   /'
			bad=1
		fi
	done
	return $bad
}

# ---------------------------------------------------------------------------
# Guest state helpers
# ---------------------------------------------------------------------------
# vm_driver ADDR: prints the bound driver's name (empty if none).
vm_driver() {
	vm_run "d=/sys/bus/pci/devices/$1; [ -e \$d ] || { echo 'no such device: $1' >&2; exit 1; }
		if [ -e \$d/driver ]; then cd -P \$d/driver && echo \${PWD##*/}; fi"
}
# vm_driver_is ADDR DRIVER: assertion with a diagnostic.
vm_driver_is() {
	local got
	got=$(vm_driver "$1") || return 1
	assert_eq "$2" "$got" "driver of $1"
}

# vm_pci_state: one line per PCI function: address, ids, class, driver,
# driver_override, iommu group.  Builtins only (one fork).
vm_pci_state() {
	vm_run 'for d in /sys/bus/pci/devices/*; do
		drv=-; g=-; o=$(<$d/driver_override)
		[ -e $d/driver ] && { cd -P $d/driver; drv=${PWD##*/}; }
		[ -e $d/iommu_group ] && { cd -P $d/iommu_group; g=${PWD##*/}; }
		printf "%s %s:%s class=%s driver=%s override=%s group=%s\n" ${d##*/} \
			$(<$d/vendor) $(<$d/device) $(<$d/class) $drv "$o" $g
	done'
}

# ---------------------------------------------------------------------------
# Nested QEMU inside the guest (TCG in TCG; qemu-system-x86_64 is the host's,
# read over 9p).  The nested guest never runs code: -S stops it before the
# first instruction, which is enough to prove QEMU accepted the devices.
# ---------------------------------------------------------------------------
RIG_NESTED_BASE="qemu-system-x86_64 -S -nodefaults -no-user-config -display none -accel tcg -machine q35 -m 64"

# vm_nested_info_pci QEMU_ARGS: starts a nested QEMU with QEMU_ARGS (e.g.
# "-device vfio-pci,host=0000:01:00.0"), prints its monitor's "info pci" and
# quits it.  Exit status is QEMU's (non-zero if it refused the arguments).
vm_nested_info_pci() {
	vm_run "printf 'info pci\nquit\n' | timeout 120 $RIG_NESTED_BASE -monitor stdio $1 2>&1 | tr -d '\r'; exit \${PIPESTATUS[1]}"
}

# vm_nested_start NAME QEMU_ARGS: starts a nested QEMU in the background with
# an HMP monitor on /run/rig-NAME.mon; prints its pid once the monitor
# answers.  vm_nested_monitor NAME CMD talks to it (socat), vm_nested_stop
# NAME ends it.
vm_nested_start() {
	vm_run "rm -f /run/rig-$1.*
		$RIG_NESTED_BASE -monitor unix:/run/rig-$1.mon,server=on,wait=off -pidfile /run/rig-$1.pid $2 \
			</dev/null >/run/rig-$1.log 2>&1 &
		for i in \$(seq 1 600); do
			[ -S /run/rig-$1.mon ] && [ -s /run/rig-$1.pid ] && { cat /run/rig-$1.pid; exit 0; }
			kill -0 \$! 2>/dev/null || { cat /run/rig-$1.log >&2; exit 1; }
			sleep 0.1
		done; echo 'nested qemu did not start' >&2; exit 1"
}
vm_nested_monitor() {
	vm_run "printf '%s\n' $(printf '%q' "$2") | socat -t 5 - UNIX-CONNECT:/run/rig-$1.mon | tr -d '\r' | grep -v '^(qemu)\|^QEMU .* monitor'"
}
vm_nested_stop() {
	vm_run "p=\$(cat /run/rig-$1.pid 2>/dev/null) || exit 0; kill \$p; for i in \$(seq 50); do kill -0 \$p 2>/dev/null || exit 0; sleep 0.1; done; kill -9 \$p"
}

# ---------------------------------------------------------------------------
# TAP
# ---------------------------------------------------------------------------
assert_eq() {	# EXPECTED ACTUAL [WHAT]
	[ "$1" = "$2" ] && return 0
	echo "#   ${3:-value}: expected '$1', got '$2'"
	return 1
}
assert_match() {	# REGEX STRING [WHAT]  (bash =~)
	[[ $2 =~ $1 ]] && return 0
	echo "#   ${3:-value}: '$2' does not match /$1/"
	return 1
}
# re_quote TEXT: TEXT as an extended regex that matches only itself (a
# kernel release such as 6.12.117+deb12-amd64 has a '+', a version dots).
re_quote() {
	sed 's/[][\\.*^$+?(){}|]/\\&/g' <<<"$1"
}
assert_contains() {	# NEEDLE HAYSTACK [WHAT]
	[[ $2 == *"$1"* ]] && return 0
	echo "#   ${3:-output} does not contain '$1':"
	printf '%s\n' "$2" | head -20 | sed 's/^/#     /'
	return 1
}

# Diagnostics printed after a failed check: the last guest command with its
# output, the PCI state and the console tail.
vm_fail_diag() {
	[ $# -gt 0 ] && echo "#   $*"
	if [ -n "$VM_RUN" ] && [ -s "$VM_RUN/last.cmd" ]; then
		echo "#   last guest command (rc=$(cat "$VM_RUN/last.rc" 2>/dev/null)): $(head -3 "$VM_RUN/last.cmd" | tr '\n' ' ')"
		[ -s "$VM_LAST_OUT" ] && { echo "#   stdout:"; head -30 "$VM_LAST_OUT" | sed 's/^/#     /'; }
		[ -s "$VM_LAST_ERR" ] && { echo "#   stderr:"; head -30 "$VM_LAST_ERR" | sed 's/^/#     /'; }
	fi
	if vm_alive && [ "${VM_HAS_AGENT:-1}" = 1 ] && [ "${VM_IN_DIAG:-0}" = 0 ]; then
		local VM_IN_DIAG=1
		echo "#   guest PCI state:"
		# VM_NO_LAST: the last.* files keep describing the failed command
		VM_NO_LAST=1 VM_TIMEOUT=30 vm_pci_state 2>/dev/null |
			grep -Ev '^0000:00:(00|18|19|1a|1f)\.' | sed 's/^/#     /'
	fi
	if [ -n "${VM_CONSOLE:-}" ] && [ -f "$VM_CONSOLE" ]; then
		echo "#   console tail (${VM_CONSOLE#"$RIG_TOP"/}):"
		tail -n "${RIG_TAIL:-25}" "$VM_CONSOLE" | tr -d '\r' | sed 's/^/#     /'
	fi
}

t_ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1"; }
t_fail() {
	T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_NUM - $1"
	shift
	vm_fail_diag "$@"
}
t_skip() { T_NUM=$((T_NUM + 1)); T_SKIPPED=$((T_SKIPPED + 1)); echo "ok $T_NUM - $1 # SKIP ${2:-}"; }

# t_check DESC CMD [ARGS...]: one TAP check; passes when CMD returns 0.
# CMD's output (assert_* diagnostics) is shown as '#' lines on failure.
# CMD runs in this shell (use eval '...' for compound checks; never exit or
# return in it).  Local names start with _t_ so eval'ed code sees the
# test's own variables.
t_check() {
	local _t_desc=$1 _t_rc _t_t0 _t_out
	shift
	_t_t0=$(rig_now)
	# not in a $(...) subshell: VM_LAST_* must survive for the diagnostics
	_t_out=$(mktemp)
	"$@" >"$_t_out" 2>&1; _t_rc=$?
	rig_log "$_t_desc: rc=$_t_rc in $((($(rig_now) - _t_t0) / 1000)) ms"
	if [ $_t_rc = 0 ]; then
		t_ok "$_t_desc"
		[ "$RIG_VERBOSE" = 1 ] && [ -s "$_t_out" ] && sed 's/^/#   /' "$_t_out"
	else
		T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_NUM - $_t_desc"
		if [ -s "$_t_out" ]; then
			head -40 "$_t_out" | sed '/^#/!s/^/#   /'
		else
			echo "#   command failed (rc=$_t_rc): $*"
		fi
		vm_fail_diag
	fi
	rm -f "$_t_out"
	return $_t_rc
}

# t_check_rc RC DESC CMD [ARGS...]: passes when CMD returns exactly RC.
t_check_rc() {
	local _t_want=$1 _t_desc=$2 _t_rc
	shift 2
	"$@" >/dev/null 2>&1; _t_rc=$?
	if [ "$_t_rc" = "$_t_want" ]; then t_ok "$_t_desc"; return 0; fi
	t_fail "$_t_desc" "expected exit status $_t_want, got $_t_rc: $*"
	return 1
}

# t_done: the console check, the plan line, stops the VM; exit status 1 if
# anything failed.
t_done() {
	local out
	vm_save_dmesg
	if out=$(vm_console_check); then
		t_ok "no kernel WARNING/BUG/Oops/hung task on the guest console"
		# reports that are not gpupt's (debug kernel) are said, not hidden
		[ -n "$out" ] && printf '%s\n' "$out"
	else
		T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_NUM - no kernel WARNING/BUG/Oops/hung task on the guest console"
		printf '%s\n' "$out"
	fi
	vm_stop
	echo "1..$T_NUM"
	[ $T_FAILED = 0 ]
	exit $?
}

# rig_require_gpupt / rig_require_gptctl: skip the whole test (TAP "1..0 #
# SKIP") when a component is not built yet.
rig_require() {	# FILE WHAT
	[ -e "$1" ] && return 0
	echo "1..0 # SKIP $2 not built ($1)"
	exit 0
}
