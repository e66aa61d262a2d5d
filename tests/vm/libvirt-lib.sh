# SPDX-License-Identifier: GPL-2.0
# A real libvirtd inside the rig's guest, for the hook tests (sourced after
# lib.sh).  The guest has no systemd: libvirtd runs as a plain daemon with
# a configuration that needs none of what a booted host would provide:
# QEMU runs as root, no security driver (no AppArmor in the guest), no
# cgroup controllers, no mount namespace, QEMU's stdio to files (no
# virtlogd), no autostarted network (no dnsmasq, no firewall).
#
#   lv_require                  TAP skip when libvirtd is not installed
#   lv_start                    configure and start libvirtd in the guest
#   lv_domain_xml NAME UUID FILE  a q35 TCG domain around the <devices>
#                               snippet of `gptctl libvirt` in FILE (guest path)
#   lv_virsh ARGS...            virsh -c qemu:///system ARGS in the guest

lv_require() {
	if [ ! -x /usr/sbin/libvirtd ] || [ ! -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ]; then
		echo "1..0 # SKIP libvirtd or its QEMU driver missing (apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu)"
		exit 0
	fi
}

lv_virsh() {
	vm_run "virsh -q -c qemu:///system $*"
}

lv_start() {
	vm_run '
	set -e
	mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/log/libvirt/qemu \
		/var/cache/libvirt/qemu /var/run/libvirt
	rm -f /etc/libvirt/qemu/networks/autostart/*.xml
	rm -f /etc/libvirt/qemu/*.xml
	cat >/etc/libvirt/qemu.conf <<EOC
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
remember_owner = 0
EOC
	cat >/etc/libvirt/libvirtd.conf <<EOC
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOC
	libvirtd --daemon --pid-file /run/libvirtd.pid
	for i in $(seq 1 300); do
		virsh -q -c qemu:///system version >/dev/null 2>&1 && exit 0
		sleep 0.2
	done
	echo "libvirtd did not answer" >&2
	cat /var/log/libvirt/libvirtd.log >&2
	exit 1'
}

# lv_domain_xml NAME UUID SNIPPET-FILE OUT-FILE (guest paths)
lv_domain_xml() {
	vm_run "
	awk '/^<!-- gpupt: inside <devices>/ { on = 1; next } /^<!--/ { on = 0; next } on' $3 >$3.devices
	cat >$4 <<EOD
<domain type='qemu'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
\$(cat $3.devices)
  </devices>
</domain>
EOD"
}
