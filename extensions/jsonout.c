// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth crash extension: JSON string output shared by the commands' -j modes.
#include <stdio.h>

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
