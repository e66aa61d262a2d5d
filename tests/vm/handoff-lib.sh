# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the handoff tests (t31..t38, t75, t81), the libvirt tests
# (t47, t48), the tests that race host drivers (t34, t48, t87) and the
# handoff benchmark.
# Source after lib.sh.

# h_boot_gpu_slot [held]: skips unless gpupt.ko and gptctl are built, sets
# GPU=0000:01:00.0 and AUD=0000:01:00.1 (a VGA and its intel-hda, one slot
# behind root port 1, one IOMMU group) and boots; with "held", gpupt holds
# both from the initramfs (addrs=), otherwise no driver has them yet.
h_boot_gpu_slot() {
	rig_require "$GPUPT_KO" gpupt.ko
	rig_require "$RIG_GPTCTL" gptctl
	GPU=0000:01:00.0 AUD=0000:01:00.1
	topo_root_port 1
	topo_gpu_slot rp1 gpu0
	if [ "${1:-}" = held ]; then
		vm_boot --gpupt-initramfs "addrs=$GPU,$AUD"
	else
		vm_boot
	fi
}

# h_drivers ADDR...: "drv drv ..." ("-" for none), one guest command.
h_drivers() {
	vm_run 'for a in '"$*"'; do d=/sys/bus/pci/devices/$a
		if [ -e $d/driver ]; then cd -P $d/driver; printf "%s " ${PWD##*/}; else printf -- "- "; fi
	done; echo'
}

# h_drivers_are "EXPECTED" ADDR...: assertion on h_drivers.
h_drivers_are() {
	local want=$1 got
	shift
	got=$(h_drivers "$@") || return 1
	assert_eq "$want" "${got% }" "drivers of $*"
}

# h_racer_start DRIVER=ADDR...: starts two guest processes.  The racer
# keeps asking host drivers to take the functions: for each pair in turn it
# writes ADDR to DRIVER's bind file, then to drivers_probe (shell builtins,
# errors ignored), and at the end leaves its round count in /tmp/racer.n.
# The sampler reads each ADDR's driver link in a loop and logs "ADDR DRIVER"
# to /tmp/bad whenever the driver is neither gpupt nor vfio-pci.  Both run
# until h_racer_stop.
h_racer_start() {
	local p binds= addrs=
	for p; do
		binds+="
			echo ${p#*=} >/sys/bus/pci/drivers/${p%%=*}/bind
			echo ${p#*=} >/sys/bus/pci/drivers_probe"
		[[ " $addrs " = *" ${p#*=} "* ]] || addrs+=" ${p#*=}"
	done
	vm_run "
	rm -f /tmp/stop /tmp/bad /tmp/racer.n
	racer() {
		local n=0
		while [ ! -e /tmp/stop ]; do$binds
			n=\$((n + 1))
		done 2>/dev/null
		echo \$n >/tmp/racer.n
	}
	sampler() {
		local a d
		while [ ! -e /tmp/stop ]; do
			for a in$addrs; do
				d=/sys/bus/pci/devices/\$a/driver
				[ -e \$d ] || continue
				cd -P \$d 2>/dev/null || continue
				case \${PWD##*/} in gpupt|vfio-pci) ;; *) echo \"\$a \${PWD##*/}\" >>/tmp/bad ;; esac
			done
		done
	}
	racer </dev/null >/dev/null 2>&1 &
	sampler </dev/null >/dev/null 2>&1 &
	sleep 0.5"
}

# h_racer_stop: stops the racer and the sampler (waits up to 5 s for the
# racer's count).
h_racer_stop() {
	vm_run_q 'touch /tmp/stop; for i in $(seq 50); do [ -s /tmp/racer.n ] && break; sleep 0.1; done'
}

# h_racer_checks [NAME]: two checks after h_racer_stop: the racer ran at
# least one round, and the sampler logged nothing (NAME names that check).
h_racer_checks() {
	t_check "the racer really ran" eval '
		n=$(vm_run "cat /tmp/racer.n"); assert_match "^[0-9]+$" "$n" "racer iterations" && [ "$n" -gt 0 ] && echo "# racer: $n rounds"'
	t_check "${1:-the sampler never saw a host driver on either function}" eval '
		assert_eq "" "$(vm_run "cat /tmp/bad 2>/dev/null | sort | uniq -c")" "host-driver sightings"'
}

# h_overrides ADDR...: driver_override of each ("(null)" when unset).
h_overrides() {
	vm_run 'for a in '"$*"'; do printf "%s " "$(</sys/bus/pci/devices/$a/driver_override)"; done; echo'
}

# h_group ADDR: IOMMU group number.
h_group() {
	vm_run "g=\$(readlink /sys/bus/pci/devices/$1/iommu_group) && echo \${g##*/}"
}

# h_gptctl ARGS: runs gptctl in the guest, in this shell (no command
# substitution, so the results survive): H_OUT (stdout), H_ERR (stderr),
# H_RC (exit status, also returned).  Prints nothing.
H_OUT= H_ERR= H_RC=
h_gptctl() {
	local tmp=$RIG_CACHE/run/h_gptctl.$$.out
	vm_run "gptctl $*" >"$tmp"; H_RC=$?
	H_OUT=$(cat "$tmp"); rm -f "$tmp"
	H_ERR=$(cat "$VM_LAST_ERR" 2>/dev/null)
	return $H_RC
}

# h_failprobe_ko: builds tests/vm/failprobe for the rig's kernel (cached;
# against RIG_KBUILD, else the rig module tree's build link, else the host's),
# prints the .ko path (the guest sees the host's filesystem at the same path).
h_failprobe_ko() {
	rig_resolve_kernel
	local src=$RIG_VM_DIR/failprobe out key kb=${RIG_KBUILD:-}
	# The rig's own module tree first (debug kernel, kernel matrix), then
	# the host's; RIG_KBUILD overrides both.
	[ -n "$kb" ] || { [ -f "$RIG_HOST_MODDIR/build/Makefile" ] && kb=$RIG_HOST_MODDIR/build; }
	[ -n "$kb" ] || kb=/lib/modules/$RIG_KVER/build
	# Keyed by the source and the tree's config: a rebuilt tree with the
	# same release string still gets a fresh module.
	key=$(cat "$src"/* "$kb/.config" 2>/dev/null | sha256sum | cut -c1-12)
	out=$RIG_CACHE/failprobe-$RIG_KVER-$key
	if [ ! -f "$out/failprobe_vfio_pci.ko" ]; then
		mkdir -p "$out"
		cp "$src"/failprobe_vfio_pci.c "$src"/Kbuild "$out"/
		make -s -C "$kb" M="$out" modules >"$out/build.log" 2>&1 ||
			{ cat "$out/build.log" >&2; return 1; }
	fi
	echo "$out/failprobe_vfio_pci.ko"
}
