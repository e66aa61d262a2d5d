#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# t49-numa: NUMA-aware fragments.  The rig's guest (the "host") has two
# NUMA nodes on two sockets, and a GPU behind a pxb-pcie expander on each
# node, so the kernel gives each GPU its node.  gptctl qemu --numa puts
# each GPU's root port behind an expander carrying the guest node that
# belongs to that host node; a nested QEMU (-S) accepts the arguments as
# printed.  gptctl libvirt --numa prints the same as domain XML, which
# validates; gptctl doctor --domain-xml passes it, and warns when a GPU's
# guest node has its vCPUs pinned to the other socket.
#
#   rig guest: -smp 2,sockets=2, node 0 = CPU 0 (socket 0), node 1 = CPU 1 (socket 1)
#   pcie.0
#   ├── 00:03.0 pxb-pcie bus_nr=0x20 numa_node=0
#   │   └── pcie-root-port rp1 ── 21:00.0 VGA 1234:1111 + 21:00.1 intel-hda
#   └── 00:04.0 pxb-pcie bus_nr=0x40 numa_node=1
#       └── pcie-root-port rp2 ── 41:00.0 VGA 1234:1111 + 41:00.1 intel-hda
#
#   nested guest (gptctl qemu --numa --vcpus 2 --memory 128M):
#   pcie.0
#   ├── pxb-pcie gpupt-pxb0 numa_node=0 ── gpupt-rp0 ── vfio-pci (host node 0's GPU)
#   └── pxb-pcie gpupt-pxb1 numa_node=1 ── gpupt-rp1 ── vfio-pci (host node 1's GPU)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
boot_numa

# The two VGA functions as the guest numbered them.
GPUS=$(vm_run "grep -l 0x030000 /sys/bus/pci/devices/*/class | xargs -n1 dirname | xargs -n1 basename | sort")
G0=$(head -1 <<<"$GPUS") G1=$(sed -n 2p <<<"$GPUS")
echo "# GPUs: $G0 $G1"

t_check "two NUMA nodes on two sockets" eval '
	assert_eq "0 1" "$(vm_run "cat /sys/devices/system/node/node0/cpulist /sys/devices/system/node/node1/cpulist" | tr "\n" " " | sed "s/ $//")" "node cpulists" &&
	assert_eq "0 1" "$(vm_run "cat /sys/devices/system/cpu/cpu0/topology/physical_package_id /sys/devices/system/cpu/cpu1/topology/physical_package_id" | tr "\n" " " | sed "s/ $//")" "sockets"'
t_check "the host reports each GPU's NUMA node (sysfs and gptctl -j list agree)" eval '
	[ -n "$G0" ] && [ -n "$G1" ] &&
	assert_eq "0 1" "$(vm_run "cat /sys/bus/pci/devices/$G0/numa_node /sys/bus/pci/devices/$G1/numa_node" | tr "\n" " " | sed "s/ $//")" "sysfs numa_node" &&
	assert_eq "0 1" "$(vm_run "gptctl -j list" | jq -r "[.[] | select(.address == \"$G0\" or .address == \"$G1\") | .numa_node] | map(tostring) | join(\" \")")" "gptctl numa_node"'

t_check "gptctl qemu --numa: an expander per node, each GPU behind the one of its host node" eval '
	vm_run_q "gptctl handoff $G0 $G1 && gptctl qemu --numa --vcpus 2 --memory 128M $G1 $G0 >/rig/numa.txt && gptctl -j qemu --numa --vcpus 2 --memory 128M $G1 $G0 >/rig/numa.json" &&
	a=$(sed "/^#/d; s/ \\\\$//" "$VM_RUN/share/numa.txt") &&
	assert_contains "-object memory-backend-ram,id=gpupt-mem1,size=64M,host-nodes=1,policy=bind" "$a" &&
	assert_contains "-numa node,nodeid=1,cpus=1-1,memdev=gpupt-mem1" "$a" &&
	assert_contains "-device pxb-pcie,id=gpupt-pxb0,bus_nr=128,numa_node=0,bus=pcie.0" "$a" &&
	assert_contains "-device pxb-pcie,id=gpupt-pxb1,bus_nr=144,numa_node=1,bus=pcie.0" "$a" &&
	assert_contains "-device pcie-root-port,id=gpupt-rp0,bus=gpupt-pxb1," "$a" "the first slot named ($G1, host node 1)" &&
	assert_contains "-device pcie-root-port,id=gpupt-rp1,bus=gpupt-pxb0," "$a" "the second slot named ($G0, host node 0)"'
t_check "the text says which vCPUs and memory form each node" eval '
	t=$(cat "$VM_RUN/share/numa.txt") &&
	assert_contains "# guest NUMA node 0 = host node 0: vCPUs 0-0 pinned to host CPUs 0, 64 MiB bound to host node 0; GPUs $G0" "$t" &&
	assert_contains "# guest NUMA node 1 = host node 1: vCPUs 1-1 pinned to host CPUs 1, 64 MiB bound to host node 1; GPUs $G1" "$t"'

ARGS=$(jq -r ".args | map(@sh) | join(\" \")" "$VM_RUN/share/numa.json")
t_check "a nested qemu -S accepts the printed arguments" vm_nested_start t49 "$ARGS"
# "info qtree": which pxb (and its numa_node) each vfio-pci host sits behind,
# as "HOST PXB NODE" lines.  (The root ports hang off the pxb-host's bus,
# which is named after the pxb-pcie device.)
behind() {
	awk '
		/dev: pxb-pcie, id "/ { split($0, a, "\""); cur = a[2] }
		cur != "" && /numa_node = / { node[cur] = $3; cur = "" }
		/bus: gpupt-pxb/ { pxb = $2 }
		/dev: pcie-root-port, id "/ { split($0, a, "\""); rp_pxb[a[2]] = pxb }
		/bus: gpupt-rp/ { rp = $2 }
		/host = "/ { split($0, a, "\""); host[a[2]] = rp }
		END { for (h in host) print h, rp_pxb[host[h]], node[rp_pxb[host[h]]] }' | sort
}
QTREE=
for i in 1 2 3; do
	QTREE=$(vm_nested_monitor t49 "info qtree")
	[ -n "$QTREE" ] && break
	sleep 2
done
[ -n "$QTREE" ] || echo "# nested QEMU log: $(vm_run "cat /run/rig-t49.log" | head -20)"
t_check "nested info qtree: each GPU function behind the pxb-pcie whose numa_node is its host node" eval '
	assert_eq "$G0 gpupt-pxb0 0
${G0%.0}.1 gpupt-pxb0 0
$G1 gpupt-pxb1 1
${G1%.0}.1 gpupt-pxb1 1" "$(behind <<<"$QTREE")" "host function, pxb, numa_node"'
vm_nested_stop t49 >/dev/null

t_check "gptctl libvirt --numa: expander buses with <node>, cells, vcpupins, memnodes" eval '
	vm_run_q "gptctl libvirt --numa --vcpus 2 --memory 128M $G0 $G1 >/rig/numa.xml" &&
	x=$(cat "$VM_RUN/share/numa.xml") &&
	assert_contains "<controller type='\''pci'\'' model='\''pcie-expander-bus'\'' index='\''17'\''>" "$x" &&
	assert_contains "<node>1</node>" "$x" &&
	assert_contains "<cell id='\''1'\'' cpus='\''1-1'\'' memory='\''64'\'' unit='\''MiB'\''/>" "$x" &&
	assert_contains "<vcpupin vcpu='\''1'\'' cpuset='\''1'\''/>" "$x" &&
	assert_contains "<memnode cellid='\''1'\'' mode='\''strict'\'' nodeset='\''1'\''/>" "$x"'

# One domain from the snippets, as an admin merges them.
mkdom() {	# SNIPPETS OUT
	awk '
		/^<!-- gpupt: inside </ { p = $0; sub(/^<!-- gpupt: inside </, "", p); sub(/[ >].*/, "", p); next }
		/^<!--/ { next }
		p == "devices" { dev = dev $0 "\n" } p == "domain" { dom = dom $0 "\n" }
		END { printf "<domain type=\"kvm\"><name>numa</name><memory unit=\"MiB\">128</memory>\n%s<os><type arch=\"x86_64\" machine=\"q35\">hvm</type></os>\n<devices>\n%s</devices></domain>\n", dom, dev }' "$1" >"$2"
}
mkdom "$VM_RUN/share/numa.xml" "$VM_RUN/share/dom.xml"
if command -v virt-xml-validate >/dev/null; then
	t_check "the merged NUMA domain validates (virt-xml-validate)" eval '
		virt-xml-validate "$VM_RUN/share/dom.xml" domain 2>&1 | sed "s/^/#   /"; [ "${PIPESTATUS[0]}" = 0 ]'
else
	t_skip "the merged NUMA domain validates" "virt-xml-validate missing"
fi
t_check "gptctl doctor --domain-xml: all four functions PASS (vCPUs pinned to their sockets)" eval '
	VM_TIMEOUT=400 vm_run "gptctl -j doctor --domain-xml /rig/dom.xml $G0" >"$VM_RUN/share/doc.json";
	assert_eq "$G0 PASS ${G0%.0}.1 PASS $G1 PASS ${G1%.0}.1 PASS" "$(jq -r "[.[] | select(.check == \"numa\") | .device, .status] | join(\" \")" "$VM_RUN/share/doc.json")" "numa checks"'
sed "s/<vcpupin vcpu='0' cpuset='0'\/>/<vcpupin vcpu='0' cpuset='1'\/>/" "$VM_RUN/share/dom.xml" >"$VM_RUN/share/bad.xml"
t_check "doctor warns when the GPU's guest node has its vCPU pinned to the other socket, naming both" eval '
	out=$(VM_TIMEOUT=400 vm_run "gptctl doctor --domain-xml /rig/bad.xml $G0");
	assert_contains "WARN  numa                 $G0  on guest NUMA node 0 (expander bus 16), host node 0, but vCPU 0 of that node is pinned to host CPU 1 on socket 1" "$out" &&
	assert_contains "PASS  numa                 $G1" "$out"'
t_check "doctor refuses an unreadable or malformed --domain-xml" eval '
	! vm_run_q "gptctl doctor --domain-xml /nonexistent" && ! vm_run_q "echo \"<domain><devices>\" >/tmp/x.xml; gptctl doctor --domain-xml /tmp/x.xml" &&
	assert_contains "not well-formed" "$(cat "$VM_LAST_ERR")"'
t_done
