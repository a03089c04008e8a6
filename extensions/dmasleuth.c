// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: the constructor (the only exported symbol's
// work) and the command table.  The kernel facts are filled once at load
// (kfacts.c).
#include <crash/defs.h>

#include <stdio.h>
#include <string.h>

#include "dms_ext.h"

static struct command_table_entry dms_commands[] = {
	{ "pktscan", dms_cmd_pktscan, dms_help_pktscan, 0 },
	{ "rxring", dms_cmd_rxring, dms_help_rxring, 0 },
	{ "slabcheck", dms_cmd_slabcheck, dms_help_slabcheck, 0 },
	{ "dmaf", dms_cmd_dmaf, dms_help_dmaf, 0 },
	{ NULL },
};

// The one exported symbol: crash's `extend` runs it through dlopen().
void dmasleuth_init(void) __attribute__((constructor, visibility("default")));

void dmasleuth_init(void)
{
	// One build per crash target (crash's structures differ per target):
	// refuse a crash of another one before touching them.
	if (!machine_type(MACHINE_TYPE)) {
		error(INFO,
		      "dmasleuth: this build is for a %s crash and this crash is not one: "
		      "extend dmasleuth.so (x86_64) or dmasleuth-arm64.so (ARM64) as the "
		      "crash's target needs\n",
		      MACHINE_TYPE);
		return;
	}
	dms_ext_kfacts_init();
	register_extension(dms_commands);
}
