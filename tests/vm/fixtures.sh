# SPDX-License-Identifier: GPL-2.0
# Machines that several VM tests build the same way.  Source after lib.sh.
# boot_* skip the test (TAP "1..0 # SKIP") unless gpupt.ko and gptctl are
# built, then build the topology and boot; topo_* only build the topology,
# for tests that boot it in different ways.

# boot_numa: the rig's guest as a two-socket NUMA host (t49-numa,
# t49-numa-guest-slow), with a GPU (VGA + intel-hda, one slot) behind a
# pxb-pcie expander on each node, so the kernel gives each GPU its node;
# gpupt holds all four functions from the initramfs (ids=).
#
#   rig guest: -smp 2,sockets=2, node 0 = CPU 0 (socket 0), node 1 = CPU 1 (socket 1),
#   768 MiB each
#   pcie.0
#   ├── 00:03.0 pxb-pcie bus_nr=0x20 numa_node=0
#   │   └── pcie-root-port rp1 ── 21:00.0 VGA 1234:1111 + 21:00.1 intel-hda
#   └── 00:04.0 pxb-pcie bus_nr=0x40 numa_node=1
#       └── pcie-root-port rp2 ── 41:00.0 VGA 1234:1111 + 41:00.1 intel-hda
boot_numa() {
	rig_require "$GPUPT_KO" gpupt.ko
	rig_require "$RIG_GPTCTL" gptctl
	VM_DEVS+=(-object memory-backend-ram,id=rigmem0,size=768M
		-object memory-backend-ram,id=rigmem1,size=768M
		-numa node,nodeid=0,cpus=0,memdev=rigmem0
		-numa node,nodeid=1,cpus=1,memdev=rigmem1
		-device pxb-pcie,id=pxb0,bus_nr=32,numa_node=0,bus=pcie.0,addr=0x3.0
		-device pxb-pcie,id=pxb1,bus_nr=64,numa_node=1,bus=pcie.0,addr=0x4.0
		-device pcie-root-port,id=rp1,bus=pxb0,chassis=1,slot=1,x-speed=2_5,x-width=1
		-device pcie-root-port,id=rp2,bus=pxb1,chassis=2,slot=2,x-speed=2_5,x-width=1)
	topo_gpu_slot rp1 gpu0
	topo_gpu_slot rp2 gpu1
	vm_boot --mem 1536M --smp 2,sockets=2 --gpupt-initramfs "ids=1234:1111,8086:2668"
}

# boot_nic_edu: two devices that go away under gpupt (t59-reset-dead,
# t73-surprise-removal), each alone behind a hotplug-capable root port,
# both held by gpupt from the initramfs (ids=); sets NIC=0000:01:00.0 and
# EDU=0000:02:00.0.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 ── 01:00.0 e1000e 8086:10d3 "nic1"
#   └── 00:02.0 pcie-root-port rp2 ── 02:00.0 edu 1234:11e8    "edu2"
boot_nic_edu() {
	rig_require "$GPUPT_KO" gpupt.ko
	rig_require "$RIG_GPTCTL" gptctl
	NIC=0000:01:00.0 EDU=0000:02:00.0
	topo_root_port 1
	topo_e1000e rp1 nic1
	topo_root_port 2
	topo_edu rp2 edu2
	vm_boot --gpupt-initramfs "ids=8086:10d3,1234:11e8"
}

# topo_vga_by_class: two GPUs with the same ID, 1234:1111, that only their
# class tells apart (t21-boot-claim, t22-cmdline-ids); sets IDS, the ids=
# list that selects the VGA (class 0300) and its audio, in pci-stub's full
# vendor:device:subvendor:subdevice:class:class_mask form.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1
#   │   └── 01:00.0 VGA 1234:1111 class 0300 (multifunction)  "gpu0"
#   │       01:00.1 intel-hda 8086:2668 class 0403           "gpu0-audio"
#   └── 00:02.0 pcie-root-port rp2
#       └── 02:00.0 secondary-vga 1234:1111 class 0380        "gpu1"
topo_vga_by_class() {
	IDS="1234:1111:ffffffff:ffffffff:030000:ffffff,8086:2668"
	topo_root_port 1
	topo_gpu_slot rp1 gpu0
	topo_root_port 2
	VM_DEVS+=(-device secondary-vga,id=gpu1,bus=rp2,addr=00.0)
}

# nlfuzz_machine: for the netlink fuzzer and the storm (t71-nlfuzz,
# t72-storm), which choose what gpupt holds at boot: needs gpupt.ko and
# gptctl, builds tests/nlfuzz (sets NLFUZZ), and builds a GPU slot and two
# more devices, each behind its own root port.
#
#   pcie.0
#   ├── 00:01.0 pcie-root-port rp1 ── 01:00.0 VGA 1234:1111 + 01:00.1 intel-hda
#   ├── 00:02.0 pcie-root-port rp2 ── 02:00.0 edu 1234:11e8
#   └── 00:03.0 pcie-root-port rp3 ── 03:00.0 e1000e 8086:10d3
nlfuzz_machine() {
	rig_require "$GPUPT_KO" gpupt.ko
	rig_require "$RIG_GPTCTL" gptctl
	NLFUZZ=$RIG_TOP/tests/nlfuzz/nlfuzz
	make -s -C "$RIG_TOP/tests/nlfuzz" >/dev/null ||
		{ echo "Bail out! cannot build tests/nlfuzz"; exit 1; }
	topo_root_port 1
	topo_gpu_slot rp1 gpu0
	topo_root_port 2
	topo_edu rp2 edu2
	topo_root_port 3
	topo_e1000e rp3 nic3
}
