// SPDX-License-Identifier: GPL-2.0
/*
 * Weak placeholders for subcommands whose files are not in the tree yet,
 * so that ctl/ always links.  The real handler (a strong definition in its
 * own file) replaces each one at link time.
 */
#include "gptctl.h"

#define STUB(fn)							\
	__attribute__((weak)) int fn(int argc, char **argv)		\
	{								\
		(void)argc;						\
		errmsg("%s: not implemented in this build", argv[0]);	\
		return EXIT_FAIL;					\
	}

STUB(cmd_reset)
STUB(cmd_bars)
STUB(cmd_qemu)
STUB(cmd_libvirt)
STUB(cmd_rom)
STUB(cmd_setup)
STUB(cmd_cmdline)
STUB(cmd_doctor)
