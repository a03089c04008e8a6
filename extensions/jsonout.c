// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: output helpers shared by the commands: JSON strings for
// the -j modes, private files for the -R (redacted) outputs.
#include <stdio.h>
#include <sys/stat.h>

#include "dms_ext.h"

void dms_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void dms_ext_private_file(const char *path)
{
	if (path)
		chmod(path, 0600);
}
