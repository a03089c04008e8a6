// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: output helpers shared by the commands: private files for the
// -R (redacted) outputs.  JSON strings: dms_json_str() in lib/report.c.
#include <stdio.h>
#include <sys/stat.h>

#include "dms_ext.h"

void dms_ext_private_file(const char *path)
{
	if (path)
		chmod(path, 0600);
}
