// SPDX-License-Identifier: GPL-2.0
/*
 * The systemd unit of a holder, from its /proc/PID/cgroup text: what the
 * refusal names and what its remedy stops.
 */
#include "holders.h"
#include "unit.h"

static const char *unit_of(const char *cgroup)
{
	static char u[128];

	holders_cgroup_unit(cgroup, u, sizeof(u));
	return u;
}

static void t_v2(void)
{
	CHECK_STR(unit_of("0::/system.slice/display-manager.service\n"),
		  "display-manager.service");
	CHECK_STR(unit_of("0::/system.slice/gdm.service"), "gdm.service");
	/* the deepest unit: a scope inside a service, a session scope */
	CHECK_STR(unit_of("0::/system.slice/libvirtd.service/qemu.scope\n"),
		  "qemu.scope");
	CHECK_STR(unit_of("0::/user.slice/user-1000.slice/session-2.scope\n"),
		  "session-2.scope");
	CHECK_STR(unit_of("0::/machine.slice/machine-qemu\\x2d1\\x2dwin.scope/libvirt/vcpu0\n"),
		  "machine-qemu\\x2d1\\x2dwin.scope");
	/* slices only, the root, no unit */
	CHECK_STR(unit_of("0::/user.slice\n"), "");
	CHECK_STR(unit_of("0::/\n"), "");
	CHECK_STR(unit_of("0::/gpupt-test\n"), "");
	/* a name that only ends like a unit is no unit */
	CHECK_STR(unit_of("0::/.service\n"), "");
}

static void t_v1_and_hybrid(void)
{
	CHECK_STR(unit_of("12:cpu,cpuacct:/\n"
			  "1:name=systemd:/system.slice/nvidia-persistenced.service\n"),
		  "nvidia-persistenced.service");
	/* hybrid: the v2 line wins */
	CHECK_STR(unit_of("1:name=systemd:/system.slice/a.service\n"
			  "0::/system.slice/b.service\n"), "b.service");
	CHECK_STR(unit_of("3:memory:/system.slice/x.service\n"), "");
	CHECK_STR(unit_of(""), "");
	CHECK_STR(unit_of("garbage"), "");
}

static void t_truncation(void)
{
	char small[8];

	holders_cgroup_unit("0::/system.slice/display-manager.service\n",
			    small, sizeof(small));
	CHECK_STR(small, "display");
}

int main(void)
{
	RUN(t_v2);
	RUN(t_v1_and_hybrid);
	RUN(t_truncation);
	return unit_done();
}
