// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl: GPU passthrough control.  The subcommand table, global options
 * and help.  Nothing here opens a netlink socket.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gptctl.h"
#include "pcinames.h"
#include "print.h"

static const struct command commands[] = {
	{ "list", cmd_list, "[-d VENDOR:DEVICE] [-s ADDR]",
	  "list GPUs, their companion functions and who holds them" },
	{ "show", cmd_show, "ADDR", "show one PCI function" },
	{ "claim", cmd_claim, "ADDR [--force [--release-host]]",
	  "bind a function to gpupt (--force takes it from a host driver)" },
	{ "unclaim", cmd_unclaim, "ADDR",
	  "release a function from gpupt to its native driver" },
	{ "handoff", cmd_handoff,
	  "ADDR... | --all [--dry-run] [--driver NAME] [--single] [--force] [--release-host] [--reset]",
	  "move IOMMU groups to vfio-pci as one transaction" },
	{ "reclaim", cmd_reclaim, "ADDR... [--single] [--dry-run]",
	  "move IOMMU groups back to gpupt" },
	{ "release", cmd_release, "ADDR... [--single] [--dry-run]",
	  "give IOMMU groups back to their host drivers" },
	{ "reset", cmd_reset,
	  "[ADDR...] [--method auto|flr|pm|bus|slot|rescan|d3cold] [--dry-run] [--force] | --clear-quarantine ADDR...",
	  "reset idle managed devices in parallel, verify them, escalate" },
	{ "monitor", cmd_monitor, "", "print gpupt events as they happen" },
	{ "bars", cmd_bars, "ADDR...", "show BARs, their reservations and bridge windows" },
	{ "qemu", cmd_qemu, "ADDR... [--romfile FILE] [--x-vga] [--hide-kvm] [--phys-bits N] [--numa --vcpus N --memory SIZE]",
	  "print QEMU arguments for passing ADDR to a q35 guest" },
	{ "libvirt", cmd_libvirt, "ADDR... [--romfile FILE] [--hide-kvm] [--phys-bits N] [--numa --vcpus N --memory SIZE]",
	  "print libvirt XML for ADDR" },
	{ "rom", cmd_rom,
	  "dump ADDR -o FILE [--source sysfs|prom|auto|bar:N:OFFSET] [--force] | check FILE [--for ADDR] | trim IN OUT",
	  "dump, check and trim option ROMs" },
	{ "setup", cmd_setup,
	  "--ids LIST [--addrs LIST] [--dry-run] [--apply-cmdline] [--root DIR] [--why] [--no-pt] | --undo [--root DIR]",
	  "configure the host to claim GPUs at boot" },
	{ "cmdline", cmd_cmdline, "--ids LIST [--addrs LIST] [--why] [--no-pt]",
	  "print kernel command-line words for claiming GPUs at boot" },
	{ "doctor", cmd_doctor, "[--domain-xml FILE] [ADDR...]",
	  "explain what stands between this host and GPU passthrough" },
	{ "apply", cmd_apply, "[--config FILE] [--dry-run]",
	  "converge the host to /etc/gpupt/devices.conf" },
	{ "export", cmd_export, "prometheus [--output FILE] [--root DIR]",
	  "write node_exporter textfile metrics" },
	{ "nfd", cmd_nfd, "[--output FILE] [--root DIR]",
	  "write a Node Feature Discovery feature file with gpupt.io labels" },
	{ "kubevirt", cmd_kubevirt, "[--name-style gpupt|nvidia] [--pci-ids FILE] [--root DIR]",
	  "print the KubeVirt permittedHostDevices patch for devices on vfio" },
	{ "nova", cmd_nova, "[--by addr|id] [--pci-ids FILE] [--root DIR]",
	  "print a Nova [pci] device_spec and alias snippet" },
	{ "hook", cmd_hook,
	  "libvirt install|uninstall [--root DIR] | libvirt run -- DOMAIN OP SUBOP [EXTRA] | proxmox | proxmox run [--dry-run] -- VMID PHASE",
	  "install the libvirt hook or print the Proxmox hookscript that hand VMs' GPUs to vfio-pci" },
	{ "sriov", cmd_sriov,
	  "ADDR --numvfs N [--vf-driver vfio-pci|VARIANT|gpupt|host] [--force]",
	  "create a PF's SR-IOV VFs, held by gpupt from the start, and hand them off" },
	{ "help", NULL, "[COMMAND]", "show this help, or a command's help" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_help(FILE *f)
{
	size_t i, w = 0;

	fprintf(f, "Usage: %s [-j|--json] [-p|--pretty] COMMAND [ARGS]\n"
		   "       %s --version\n\nCommands:\n", PROG_NAME, PROG_NAME);
	for (i = 0; i < N_COMMANDS; i++)
		if (strlen(commands[i].name) > w)
			w = strlen(commands[i].name);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-*s  %s\n", (int)w, commands[i].name,
			commands[i].help);
	fprintf(f, "\nRun '%s COMMAND --help' for a command's arguments.\n"
		   "Exit status: 0 ok, 1 failed, 2 usage error, 3 gpupt module not loaded.\n",
		PROG_NAME);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))	/* exact, never prefix */
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		print_help(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		errmsg("unknown command '%s'", argv[1]);
		return EXIT_USAGE;
	}
	print_cmd_usage(cmd);
	return EXIT_OK;
}

/* Does argv ask for help ("--help" anywhere before "--", or "-h" first)? */
static bool wants_help(int argc, char **argv)
{
	int i;

	if (argc > 1 && !strcmp(argv[1], "-h"))
		return true;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			gopts.json = true;
		} else if (!strcmp(o, "-p") || !strcmp(o, "--pretty")) {
			gopts.pretty = true;
		} else if (!strcmp(o, "-jp") || !strcmp(o, "-pj")) {
			gopts.json = gopts.pretty = true;
		} else if (!strcmp(o, "-V") || !strcmp(o, "--version")) {
			printf("%s %s\n", PROG_NAME, GPTCTL_VERSION);
			return EXIT_OK;
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			print_help(stdout);
			return EXIT_OK;
		} else {
			errmsg("unknown option '%s'", o);
			print_help(stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		errmsg("unknown command '%s' (see '%s help')", argv[i], PROG_NAME);
		return EXIT_USAGE;
	}
	argc -= i;
	argv += i;
	if (!cmd->run)
		return cmd_help(argc, argv);
	if (wants_help(argc, argv)) {
		print_cmd_usage(cmd);
		return EXIT_OK;
	}
	current_cmd = cmd;
	print_begin(gopts.json);
	ret = cmd->run(argc, argv);
	pcinames_cleanup();
	if (fflush(stdout) || ferror(stdout)) {
		errmsg("write error on stdout");
		if (!ret)
			ret = EXIT_FAIL;
	}
	return ret;
}
