#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t67-rom-window: gptctl rom dump through a BAR window (--source bar:N:OFFSET,
# the read path of --source prom), checked with rom check, then accepted by
# a nested QEMU as romfile=.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 ivshmem-plain 1af4:1110 "win0"  -> gpupt
#   │         BAR2: 4 MiB memory-backend-file; a real NVIDIA ROM
#   │         (nv_tu104_rtx2070s.rom) at 0x300000, as in BAR0's PROM window
#   ├── 00:02.0 pcie-root-port rp2
#   │   └── 02:00.0 VGA 1234:1111 "gpu1"  -> gpupt  boot VGA: sysfs gives a shadow
#   └── 00:03.0 pcie-root-port rp3
#       └── 03:00.0 VGA 1234:1111 "gpu2"  -> gpupt  ROM BAR untouched: sysfs is good
#
# There is no emulated NVIDIA GPU, so the PROM enable sequence itself is
# unit-tested (tests/unit/romread_test.c); here the same window read runs
# against real hardware emulation: the resource file's mmap, memory
# decoding, 32-bit reads, and the checker on what came back.  Skipped when
# ../shared/real-roms is absent.
. "$(dirname "$0")/lib.sh"
rig_require "$GPUPT_KO" gpupt.ko
rig_require "$RIG_GPTCTL" gptctl

REAL=${GPUPT_REAL_ROMS:-$RIG_TOP/../shared/real-roms}
ROM=nv_tu104_rtx2070s.rom
if [ ! -r "$REAL/$ROM" ]; then
	echo "1..0 # SKIP real vendor ROMs absent ($REAL/$ROM)"
	exit 0
fi
REAL=$(cd "$REAL" && pwd)	# the guest sees the host's / at the same paths

WIN=0000:01:00.0 VGA=0000:02:00.0 VGA2=0000:03:00.0
IMG=$RIG_CACHE/t67-window.img
mkdir -p "$RIG_CACHE"
rm -f "$IMG"
truncate -s 4M "$IMG"
dd if="$REAL/$ROM" of="$IMG" bs=4096 seek=$((0x300000 / 4096)) conv=notrunc status=none

topo_root_port 1
VM_DEVS+=(-object "memory-backend-file,id=win0-mem,size=4M,mem-path=$IMG,share=on"
	  -device "ivshmem-plain,id=win0,bus=rp1,addr=00.0,memdev=win0-mem")
topo_root_port 2
topo_vga rp2 gpu1
topo_root_port 3
topo_vga rp3 gpu2
vm_boot --gpupt-initramfs "addrs=$WIN,$VGA,$VGA2"

t_check "gpupt holds the ivshmem window and both VGAs" \
	eval 'vm_driver_is $WIN gpupt && vm_driver_is $VGA gpupt && vm_driver_is $VGA2 gpupt'
CMD0=$(vm_run "setpci -s 01:00.0 COMMAND")

# The user's path: dump through the window, then check the file.
t_check "rom dump --source bar:2:0x300000 writes the image chain it finds there" \
	eval 'out=$(vm_run "gptctl rom dump 01:00.0 --source bar:2:0x300000 -o /tmp/win.rom") &&
	      assert_contains "source: bar (BAR2 + 0x300000)" "$out" &&
	      assert_contains "2 image(s), 0 error(s)" "$out"'
t_check "... the file is the ROM's first 0x4f600 bytes: its images and the ones NVIDIA chains after them" \
	vm_run "head -c $((0x4f600)) $REAL/$ROM | cmp - /tmp/win.rom"
t_check "... rom check passes and names the chained FwSec and type 0x70 images" \
	eval 'out=$(vm_run "gptctl rom check /tmp/win.rom") &&
	      assert_contains "result: 0 error(s)" "$out" &&
	      assert_contains "FwSec (0xE0) at 0x1fe00, FwSec (0xE0) at 0x2b200, type 0x70 at 0x4da00" "$out"'
t_check "... JSON names the source and the window" \
	eval 'out=$(vm_run "gptctl -j rom dump 01:00.0 --source bar:2:0x300000 -o /tmp/win2.rom") &&
	      assert_eq "bar|BAR2 + 0x300000|2|0" "$(jq -r "[.source, .window, .images, .errors] | join(\"|\")" <<<"$out")" "source|window|images|errors"'
t_check "... rom trim keeps the ROM BAR's view (0x1fe00 bytes), which passes rom check" \
	vm_run "gptctl rom trim /tmp/win.rom /tmp/win-trim.rom | grep -q 'wrote 130560 bytes' && gptctl rom check /tmp/win-trim.rom >/dev/null"
t_check "memory decoding of 01:00.0 is as it was before the dumps" \
	eval 'assert_eq "$CMD0" "$(vm_run "setpci -s 01:00.0 COMMAND")" "PCI_COMMAND"'
t_check "with memory decoding off, the dump turns it on for the read and off again" \
	eval 'vm_run "setpci -s 01:00.0 COMMAND=$(printf %04x $((0x$CMD0 & ~2)))" &&
	      vm_run "gptctl rom dump 01:00.0 --source bar:2:0x300000 -o /tmp/win3.rom >/dev/null && cmp /tmp/win.rom /tmp/win3.rom" &&
	      assert_eq "$(printf %04x $((0x$CMD0 & ~2)))" "$(vm_run "setpci -s 01:00.0 COMMAND")" "PCI_COMMAND after" &&
	      vm_run "setpci -s 01:00.0 COMMAND=$CMD0"'

# Refusals: nothing is written.
t_check "a window without a ROM at its start: exit 1, says what it read, writes nothing" \
	eval 'vm_run "gptctl rom dump 01:00.0 --source bar:2:0 -o /tmp/none.rom"; [ $? = 1 ] &&
	      assert_contains "holds no option ROM at its start (it reads 00 00 00 00)" "$(cat "$VM_LAST_ERR")" &&
	      ! vm_run "test -e /tmp/none.rom"'
t_check "--source prom on a device that is not NVIDIA's: exit 1, no register touched, nothing written" \
	eval 'vm_run "gptctl rom dump 01:00.0 --source prom -o /tmp/prom.rom"; [ $? = 1 ] &&
	      assert_contains "vendor 1af4 is not NVIDIA (10de)" "$(cat "$VM_LAST_ERR")" &&
	      ! vm_run "test -e /tmp/prom.rom"'
t_check "an offset past the BAR: exit 1" \
	eval 'vm_run "gptctl rom dump 01:00.0 --source bar:2:0x400000 -o /tmp/past.rom"; [ $? = 1 ] &&
	      assert_contains "past the end of BAR2" "$(cat "$VM_LAST_ERR")"'
t_check_rc 2 "a malformed --source: usage error (exit 2)" \
	vm_run "gptctl rom dump 01:00.0 --source bar:9:0 -o /tmp/bad.rom"

# auto: a ROM BAR that passes the check is kept; no PROM on a non-NVIDIA GPU.
t_check "--source auto on the second VGA keeps the sysfs copy, which passes rom check" \
	eval 'out=$(vm_run "gptctl rom dump 03:00.0 --source auto -o /tmp/vga.rom") &&
	      assert_contains "source: sysfs" "$out" &&
	      assert_contains "auto: the sysfs copy passes rom check" "$out" &&
	      vm_run "cmp /tmp/vga.rom /usr/share/seabios/vgabios-stdvga.bin"'
t_check "--source auto on the boot VGA: a shadow, but not NVIDIA's, so the sysfs copy it is, said so" \
	eval 'out=$(vm_run "gptctl rom dump 02:00.0 --source auto -o /tmp/vga0.rom 2>&1") &&
	      assert_contains "auto: not an NVIDIA GPU, so there is no PROM to fall back to" "$out" &&
	      assert_contains "shadow copy: 0000:02:00.0 is the boot VGA device" "$out"'
t_check "--source auto on a device without a ROM and not NVIDIA's: exit 1, says so" \
	eval 'vm_run "gptctl rom dump 01:00.0 --source auto -o /tmp/auto.rom"; [ $? = 1 ] &&
	      assert_contains "has no option ROM in sysfs" "$(cat "$VM_LAST_ERR")"'

# Under vfio-pci a VM may be using the device: BAR reads need --force.
t_check "handoff 01:00.0 to vfio-pci" vm_run "gptctl handoff 01:00.0 >/dev/null"
t_check "under vfio-pci, --source bar is refused (exit 1, names the driver), nothing written" \
	eval 'vm_run "gptctl rom dump 01:00.0 --source bar:2:0x300000 -o /tmp/vfio.rom"; [ $? = 1 ] &&
	      assert_contains "is bound to vfio-pci: a VM may be using it" "$(cat "$VM_LAST_ERR")" &&
	      ! vm_run "test -e /tmp/vfio.rom"'
t_check "... and read with --force" \
	vm_run "gptctl rom dump 01:00.0 --source bar:2:0x300000 -o /tmp/vfio.rom --force >/dev/null && cmp /tmp/win.rom /tmp/vfio.rom"
t_check "reclaim 01:00.0 to gpupt" vm_run "gptctl reclaim 01:00.0 >/dev/null"

# A client: QEMU takes the dumped file as romfile= (BAR6 sized to it).
t_check "nested QEMU -S accepts the dumped file as romfile= (ROM BAR 512 KiB for 0x4f600 bytes)" \
	eval 'out=$(vm_nested_info_pci "-device VGA,romfile=/tmp/win.rom") &&
	      assert_contains "BAR6: 32 bit memory at 0xffffffffffffffff [0x0007fffe]." "$out" "info pci"'
t_check "... and the trimmed file (ROM BAR 128 KiB for 0x1fe00 bytes)" \
	eval 'out=$(vm_nested_info_pci "-device VGA,romfile=/tmp/win-trim.rom") &&
	      assert_contains "BAR6: 32 bit memory at 0xffffffffffffffff [0x0001fffe]." "$out" "info pci"'
t_check "... while a romfile that does not exist is refused" \
	eval '! vm_nested_info_pci "-device VGA,romfile=/tmp/none.rom" >/dev/null'
t_done
