// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: parse the first oops of a kernel log (see oops.h).
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logsig.h"
#include "oops.h"

// Lines after the oops headline that may still belong to its register dump.
#define OOPS_MAX_LINES 40

static const struct {
	const char *name;
	enum dms_reg reg;
} reg_tags[] = {
	{ "RAX:", DMS_REG_RAX }, { "RBX:", DMS_REG_RBX }, { "RCX:", DMS_REG_RCX },
	{ "RDX:", DMS_REG_RDX }, { "RSI:", DMS_REG_RSI }, { "RDI:", DMS_REG_RDI },
	{ "RBP:", DMS_REG_RBP }, { "R08:", DMS_REG_R8 },  { "R09:", DMS_REG_R9 },
	{ "R10:", DMS_REG_R10 }, { "R11:", DMS_REG_R11 }, { "R12:", DMS_REG_R12 },
	{ "R13:", DMS_REG_R13 }, { "R14:", DMS_REG_R14 }, { "R15:", DMS_REG_R15 },
};

static bool hex_at(const char *p, uint64_t *ret)
{
	char *end;

	while (*p == ' ')
		p++;
	if (!isxdigit((unsigned char)*p))
		return false;
	*ret = strtoull(p, &end, 16);
	return end > p;
}

// "RAX: 0000000000000000 RBX: edd04540c239a903 RCX: 000000000040002a"
static void parse_regs(const char *body, struct dms_oops *o)
{
	for (size_t i = 0; i < sizeof(reg_tags) / sizeof(reg_tags[0]); i++) {
		const char *p = strstr(body, reg_tags[i].name);
		uint64_t v;

		// "RAX:" must not match inside "ORIG_RAX:".
		while (p && p > body && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
			p = strstr(p + 1, reg_tags[i].name);
		if (p && hex_at(p + strlen(reg_tags[i].name), &v)) {
			o->regs.r[reg_tags[i].reg] = v;
			o->regs.valid[reg_tags[i].reg] = true;
		}
	}
	const char *p = strstr(body, "RSP: ");
	uint64_t v;
	if (p && (p = strchr(p, ':')) && (p = strchr(p + 1, ':')) && hex_at(p + 1, &v)) {
		o->regs.r[DMS_REG_RSP] = v; // "RSP: 0018:ff5a31dfc0647b40": after the selector
		o->regs.valid[DMS_REG_RSP] = true;
	}
	p = strstr(body, "CR2: ");
	if (p && hex_at(p + 5, &v)) {
		o->cr2 = v;
		o->has_cr2 = true;
	}
}

// "RIP: 0010:anon_vma_interval_tree_insert+0x48/0xc0" or "RIP: 0010:0xad62ec65400ddcaa"
static void parse_rip(const char *p, struct dms_oops *o)
{
	unsigned int cs;
	char *end;

	p += strlen("RIP: ");
	cs = (unsigned int)strtoul(p, &end, 16);
	if (*end != ':')
		return;
	o->user_mode = (cs & 3) == 3;
	p = end + 1;
	size_t n = strcspn(p, " \r\n");
	if (n >= sizeof(o->rip_sym))
		n = sizeof(o->rip_sym) - 1;
	memcpy(o->rip_sym, p, n);
	o->rip_sym[n] = '\0';
	if (p[0] == '0' && p[1] == 'x') {
		o->rip = strtoull(p, NULL, 16);
		o->regs.r[DMS_REG_RIP] = o->rip;
		o->regs.valid[DMS_REG_RIP] = true;
	}
}

void dms_oops_parse(const char *log, size_t len, struct dms_oops *o)
{
	char line[512];
	size_t pos = 0;
	int after = -1; // lines since the headline, -1 before it
	bool have_rip = false;

	memset(o, 0, sizeof(*o));
	o->code_rip = -1;
	o->pid = -1;
	while (log && pos < len && after < OOPS_MAX_LINES) {
		const char *nl = memchr(log + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (log + pos)) : len - pos;
		size_t copy = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
		double t;

		memcpy(line, log + pos, copy);
		line[copy] = '\0';
		if (copy && line[copy - 1] == '\r')
			line[copy - 1] = '\0';
		const char *body = dms_log_line_body(line, &t);
		size_t here = pos;
		pos += n + 1;
		if (after < 0) {
			if (!strstr(body, "[#1]"))
				continue;
			o->found = true;
			o->offset = here;
			snprintf(o->headline, sizeof(o->headline), "%s", body);
			after = 0;
			continue;
		}
		after++;
		// Another CPU's output may interleave (its own "Call Trace:"): keep going
		// until this oops' register dump is complete.
		if (strstr(body, "[#2]") ||
		    (strstr(body, "Call Trace:") && o->regs.valid[DMS_REG_R15]))
			break;
		const char *p;
		if (o->pid < 0 && (p = strstr(body, "Comm: "))) {
			size_t k = strcspn(p + 6, " ");
			snprintf(o->comm, sizeof(o->comm), "%.*s", (int)(k < 31 ? k : 31), p + 6);
			const char *q = strstr(body, "PID: ");
			if (q)
				o->pid = atoi(q + 5);
		}
		if (!have_rip && (p = strstr(body, "RIP: ")) && p == body) {
			parse_rip(p, o);
			have_rip = true;
			continue;
		}
		if (have_rip && !o->code_len && strstr(body, "Code: ") == body)
			o->code_len = dms_oops_code_parse(body, o->code, sizeof(o->code), &o->code_rip);
		if (have_rip)
			parse_regs(body, o);
	}
}
