// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: parse the first oops of a kernel log (see oops.h).
#include <ctype.h>
#include <inttypes.h>
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

// A register value as the kernel prints it in a register dump (%016lx / %016llx):
// exactly 16 hex digits, then a blank or the end.  A garbled or cut value is not
// read as a shorter number: a wrong register is worse than a missing one.
static bool reg_at(const char *p, uint64_t *ret)
{
	while (*p == ' ')
		p++;
	size_t n = 0;
	while (isxdigit((unsigned char)p[n]))
		n++;
	if (n != 16 || (p[n] && !isspace((unsigned char)p[n])))
		return false;
	*ret = strtoull(p, NULL, 16);
	return true;
}

// "func+0x48/0xc0": the function and the offset into it, only when the whole
// text has that form.
static void parse_rip_sym(struct dms_oops *o)
{
	const char *s = o->rip_sym, *plus = strchr(s, '+');
	if (!plus || plus == s || (size_t)(plus - s) >= sizeof(o->rip_func))
		return;
	for (const char *c = s; c < plus; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '$')
			return;
	const char *p = plus + 1;
	if (p[0] != '0' || p[1] != 'x' || !isxdigit((unsigned char)p[2]))
		return;
	char *end;
	uint64_t off = strtoull(p + 2, &end, 16);
	if (end[0] != '/' || end[1] != '0' || end[2] != 'x' || !isxdigit((unsigned char)end[3]))
		return;
	uint64_t size = strtoull(end + 3, &end, 16);
	if (*end || off >= size)
		return;
	memcpy(o->rip_func, s, (size_t)(plus - s));
	o->rip_func[plus - s] = '\0';
	o->rip_off = off;
	o->rip_func_ok = true;
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
		if (p && reg_at(p + strlen(reg_tags[i].name), &v)) {
			o->regs.r[reg_tags[i].reg] = v;
			o->regs.valid[reg_tags[i].reg] = true;
		}
	}
	const char *p = strstr(body, "RSP: ");
	uint64_t v;
	if (p && (p = strchr(p, ':')) && (p = strchr(p + 1, ':')) && reg_at(p + 1, &v)) {
		o->regs.r[DMS_REG_RSP] = v; // "RSP: 0018:ff5a31dfc0647b40": after the selector
		o->regs.valid[DMS_REG_RSP] = true;
	}
	p = strstr(body, "CR2: ");
	if (p && reg_at(p + 5, &v)) {
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
		char *vend;
		uint64_t v = strtoull(p + 2, &vend, 16);
		if (vend > p + 2 && (!*vend || isspace((unsigned char)*vend))) {
			o->rip = v;
			o->regs.r[DMS_REG_RIP] = o->rip;
			o->regs.valid[DMS_REG_RIP] = true;
		}
	} else {
		parse_rip_sym(o);
	}
}

// ---------------------------------------------------------------- arm64

// Lines after the "[#1]" line that may still belong to an arm64 oops: its register
// dump, then the whole call trace, then "Code:".
#define ARM64_MAX_LINES 200
// Lines between "Unable to handle kernel ..." and the "[#1]" line (the abort decode
// and the page table walk).
#define ARM64_MAX_PREAMBLE 40

// "x29: ffff80000a0b3b20 x28: ffff000003a21e00 x27: 0000000000000000"; "x9 : ...".
// Kernels before 5.13 print two per line with a trailing blank: any count is read.
static void arm64_regs(const char *body, struct dms_oops *o)
{
	const char *p = body;

	while ((p = strchr(p, 'x'))) {
		if (p > body && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
			p++;
			continue;
		}
		char *end;
		long n = strtol(p + 1, &end, 10);
		const char *q = end;
		while (*q == ' ')
			q++;
		uint64_t v;
		if (end > p + 1 && end <= p + 3 && n >= 0 && n <= 30 && *q == ':' &&
		    reg_at(q + 1, &v) && !o->regs.valid[DMS_REG_X(n)]) {
			o->regs.r[DMS_REG_X(n)] = v;
			o->regs.valid[DMS_REG_X(n)] = true;
		}
		p++;
	}
}

// A 16-digit number without 0x ("pc : 0000aaaab2c3d4e0": a user-mode frame).
static bool raw_hex16(const char *p, uint64_t *ret)
{
	size_t n = strspn(p, "0123456789abcdefABCDEF");
	if (n != 16 || (p[n] && p[n] != ' '))
		return false;
	return hex_at(p, ret);
}

// "pc : kmem_cache_alloc+0x1a8/0x370", "pc : 0x4500087d7dca0b00", "pc : 0000aaaab2c3d4e0",
// "pc : [<ffff0000081e0e7c>] lr : [<...>] pstate: ..." (kernels before 4.16).
// Returns true when the value is a number (stored in *ret).
static bool arm64_pc(const char *p, char *sym, size_t size, bool *user, uint64_t *ret)
{
	*user = false;
	*ret = 0;
	if (p[0] == '[' && p[1] == '<')
		return hex_at(p + 2, ret);
	size_t n = strcspn(p, " \r\n");
	if (n >= size)
		n = size - 1;
	memcpy(sym, p, n);
	sym[n] = '\0';
	if (p[0] == '0' && p[1] == 'x')
		return hex_at(p + 2, ret);
	if (raw_hex16(p, ret)) {
		*user = true;
		return true;
	}
	return false;
}

static uint64_t hex_after(const char *body, const char *key, bool *found)
{
	const char *p = strstr(body, key);
	uint64_t v = 0;

	*found = false;
	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	*found = hex_at(p, &v);
	return v;
}

// The fault handler's lines before "[#1]" (arm64 mem_abort_decode, show_pte).
static void arm64_preamble(const char *body, struct dms_oops *o)
{
	bool f;
	uint64_t v;
	const char *p;

	while (*body == ' ')
		body++;
	if (!strncmp(body, "ESR = ", 6)) {
		v = hex_after(body, "ESR = ", &f);
		if (f) {
			o->esr = v;
			o->has_esr = true;
		}
	} else if (!strncmp(body, "FSC = ", 6)) {
		v = hex_after(body, "FSC = ", &f);
		if (f && v < 64) {
			o->fsc = (unsigned int)v;
			o->has_fsc = true;
		}
	} else if ((p = strstr(body, "WnR = ")) && body[0] == 'C' && body[1] == 'M') {
		o->has_wnr = p[6] == '0' || p[6] == '1';
		o->wnr = p[6] == '1';
	} else if ((p = strstr(body, "-bit VAs"))) {
		// "swapper pgtable: 4k pages, 48-bit VAs, pgdp=0000000041a2f000"
		const char *s = p;
		while (s > body && isdigit((unsigned char)s[-1]))
			s--;
		unsigned long bits = s < p ? strtoul(s, NULL, 10) : 0;
		if (bits >= 32 && bits <= 64)
			o->va_bits = (unsigned int)bits;
	}
}

// Which architecture printed this line, if it says.
static enum dms_arch arch_of(const char *body)
{
	if (!strncmp(body, "RIP: ", 5) || strstr(body, " NOPTI") || strstr(body, " PTI") ||
	    !strncmp(body, "general protection fault", 24) ||
	    !strncmp(body, "BUG: unable to", 14) ||
	    !strncmp(body, "BUG: kernel NULL pointer", 24) || !strncmp(body, "#PF: ", 5))
		return DMS_ARCH_X86_64;
	const char *ie = strstr(body, "Internal error: ");
	if (ie && strstr(ie, "[#")) {
		// 32-bit ARM ends the line with its instruction set.
		size_t n = strlen(body);
		while (n && (body[n - 1] == ' ' || body[n - 1] == '\r'))
			n--;
		if ((n >= 4 && !memcmp(body + n - 4, " ARM", 4)) ||
		    (n >= 7 && !memcmp(body + n - 7, " THUMB2", 7)))
			return DMS_ARCH_ARM;
		return DMS_ARCH_ARM64;
	}
	if (!strncmp(body, "pc : [<", 7) || strstr(body, " psr: ") || !strncmp(body, "r10: ", 5))
		return DMS_ARCH_ARM;
	if (!strncmp(body, "pc : ", 5) || !strncmp(body, "x29: ", 5) ||
	    !strncmp(body, "pstate: ", 8) || !strncmp(body, "SError Interrupt on CPU", 23))
		return DMS_ARCH_ARM64;
	return DMS_ARCH_UNKNOWN;
}

// One line of the arm64 register dump (after "[#1]").  Returns true at its end.
static bool arm64_body(const char *body, struct dms_oops *o)
{
	uint64_t v;
	bool user;

	if (!strncmp(body, "pc : ", 5) && !o->rip_sym[0] && !o->regs.valid[DMS_REG_PC]) {
		const char *p = body + 5;
		if (arm64_pc(p, o->rip_sym, sizeof(o->rip_sym), &user, &v)) {
			o->rip = v;
			o->regs.r[DMS_REG_PC] = v;
			o->regs.valid[DMS_REG_PC] = true;
			o->user_mode = user;
		}
		// Old kernels: "pc : [<pc>] lr : [<lr>] pstate: ..." on one line.
		const char *lr = strstr(p, " lr : [<");
		if (lr && hex_at(lr + 8, &v)) {
			o->regs.r[DMS_REG_X(30)] = v;
			o->regs.valid[DMS_REG_X(30)] = true;
		}
	} else if (!strncmp(body, "lr : ", 5) && !o->lr_sym[0]) {
		if (arm64_pc(body + 5, o->lr_sym, sizeof(o->lr_sym), &user, &v)) {
			o->regs.r[DMS_REG_X(30)] = v;
			o->regs.valid[DMS_REG_X(30)] = true;
		}
	} else if (!strncmp(body, "sp : ", 5) && !o->regs.valid[DMS_REG_SP]) {
		if (reg_at(body + 5, &v)) {
			o->regs.r[DMS_REG_SP] = v;
			o->regs.valid[DMS_REG_SP] = true;
		}
	} else if (!strncmp(body, "PC is at ", 9) && !o->rip_sym[0]) {
		snprintf(o->rip_sym, sizeof(o->rip_sym), "%.*s", (int)strcspn(body + 9, " \r\n"),
			 body + 9);
	} else if (!strncmp(body, "LR is at ", 9) && !o->lr_sym[0]) {
		snprintf(o->lr_sym, sizeof(o->lr_sym), "%.*s", (int)strcspn(body + 9, " \r\n"),
			 body + 9);
	} else if (body[0] == 'x' && isdigit((unsigned char)body[1])) {
		arm64_regs(body, o);
	} else if (!strncmp(body, "Code: ", 6)) {
		o->code_len = dms_oops_code_parse(body, o->code, sizeof(o->code), &o->code_rip);
		return true; // the last line of the oops
	} else if (!strncmp(body, "---[ end trace", 14) ||
		   !strncmp(body, "Kernel panic - not syncing", 26)) {
		return true;
	}
	return false;
}

// ---------------------------------------------------------------- both

struct line {
	char text[512];
	const char *body;
	size_t offset;
};

// The next line of log at *pos (bounded copy, CR stripped); false at the end.
static bool next_line(const char *log, size_t len, size_t *pos, struct line *l)
{
	if (!log || *pos >= len)
		return false;
	const char *nl = memchr(log + *pos, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - (log + *pos)) : len - *pos;
	size_t copy = n < sizeof(l->text) - 1 ? n : sizeof(l->text) - 1;
	double t;

	memcpy(l->text, log + *pos, copy);
	l->text[copy] = '\0';
	if (copy && l->text[copy - 1] == '\r')
		l->text[copy - 1] = '\0';
	l->body = dms_log_line_body(l->text, &t);
	l->offset = *pos;
	*pos += n + 1;
	return true;
}

// "CPU: 1 PID: 118 Comm: worker Tainted: ..." (both architectures).
static void comm_pid(const char *body, struct dms_oops *o)
{
	const char *p = strstr(body, "Comm: ");

	if (o->pid >= 0 || !p)
		return;
	size_t k = strcspn(p + 6, " ");
	snprintf(o->comm, sizeof(o->comm), "%.*s", (int)(k < 31 ? k : 31), p + 6);
	const char *q = strstr(body, "PID: ");
	if (q)
		o->pid = atoi(q + 5);
}

void dms_oops_parse(const char *log, size_t len, struct dms_oops *o)
{
	dms_oops_parse_arch(log, len, DMS_ARCH_UNKNOWN, o);
}

void dms_oops_parse_arch(const char *log, size_t len, enum dms_arch arch, struct dms_oops *o)
{
	struct line l;
	size_t pos = 0;
	int after = -1; // lines since the headline, -1 before it
	bool have_rip = false;
	// arm64: "Unable to handle kernel ..." and the abort decode before "[#1]".
	struct dms_oops pre;
	int pre_lines = -1;

	memset(o, 0, sizeof(*o));
	o->code_rip = -1;
	o->pid = -1;
	o->arch = arch;
	while (next_line(log, len, &pos, &l)) {
		const char *body = l.body;
		if (!strncmp(body, "Unable to handle kernel ", 24) && arch != DMS_ARCH_X86_64) {
			memset(&pre, 0, sizeof(pre));
			snprintf(pre.headline, sizeof(pre.headline), "%s", body);
			pre.offset = l.offset;
			pre.far = hex_after(body, "virtual address ", &pre.has_far);
			pre_lines = 0;
			continue;
		}
		if (pre_lines >= 0 && ++pre_lines > ARM64_MAX_PREAMBLE)
			pre_lines = -1;
		if (pre_lines >= 0)
			arm64_preamble(body, &pre);
		bool serror = !strncmp(body, "SError Interrupt on CPU", 23);
		if (!strstr(body, "[#1]") && !(serror && arch != DMS_ARCH_X86_64))
			continue;
		o->found = true;
		if (o->arch == DMS_ARCH_UNKNOWN)
			o->arch = arch_of(body);
		o->offset = l.offset;
		snprintf(o->headline, sizeof(o->headline), "%s", body);
		snprintf(o->die_line, sizeof(o->die_line), "%s", body);
		if (pre_lines >= 0 && o->arch != DMS_ARCH_X86_64) {
			if (o->arch == DMS_ARCH_UNKNOWN)
				o->arch = DMS_ARCH_ARM64; // "Unable to handle kernel ..." is arm's
			snprintf(o->headline, sizeof(o->headline), "%s", pre.headline);
			o->offset = pre.offset;
			o->has_far = pre.has_far;
			o->far = pre.far;
			o->has_esr = pre.has_esr;
			o->esr = pre.esr;
			o->has_fsc = pre.has_fsc;
			o->fsc = pre.fsc;
			o->has_wnr = pre.has_wnr;
			o->wnr = pre.wnr;
			o->va_bits = pre.va_bits;
		}
		// "Internal error: Oops: 0000000096000004 [#1] SMP": the ESR (arm64 die()).
		const char *ie = strstr(body, "Internal error: ");
		const char *colon = ie ? strstr(ie + 16, ": ") : NULL;
		uint64_t v;
		if (o->arch == DMS_ARCH_ARM64 && !o->has_esr && colon && hex_at(colon + 2, &v)) {
			o->esr = v;
			o->has_esr = true;
		}
		after = 0;
		break;
	}
	if (!o->found)
		return;
	// The register dump and the rest of the oops, from the line after the headline.
	while (next_line(log, len, &pos, &l)) {
		const char *body = l.body;
		after++;
		if (strstr(body, "[#2]"))
			break;
		if (o->arch == DMS_ARCH_UNKNOWN)
			o->arch = arch_of(body);
		comm_pid(body, o);
		if (o->arch == DMS_ARCH_ARM64) {
			if (after > ARM64_MAX_LINES || arm64_body(body, o))
				break;
			continue;
		}
		if (o->arch == DMS_ARCH_ARM || after > OOPS_MAX_LINES)
			break;
		// x86-64.  Another CPU's output may interleave (its own "Call Trace:"): keep
		// going until this oops' register dump is complete.
		if (strstr(body, "Call Trace:") && o->regs.valid[DMS_REG_R15])
			break;
		const char *p;
		if (!have_rip && (p = strstr(body, "RIP: ")) && p == body) {
			parse_rip(p, o);
			have_rip = true;
			continue;
		}
		if (have_rip && !o->code_len && strstr(body, "Code: ") == body)
			o->code_len =
				dms_oops_code_parse(body, o->code, sizeof(o->code), &o->code_rip);
		if (have_rip)
			parse_regs(body, o);
	}
	if (o->arch == DMS_ARCH_ARM64 && o->has_far)
		o->has_cr2 = false;
	// arm64's pc / "PC is at" symbol too.
	if (o->rip_sym[0] && !o->rip_func_ok && !(o->rip_sym[0] == '0' && o->rip_sym[1] == 'x'))
		parse_rip_sym(o);
}

// ---------------------------------------------------------------- arm64 aborts

static const char *ec_name(unsigned int ec)
{
	switch (ec) {
	case 0x00:
		return "unknown reason (undefined instruction)";
	case 0x0e:
		return "illegal execution state";
	case 0x15:
		return "SVC";
	case 0x18:
		return "system register access";
	case 0x20:
		return "instruction abort (lower EL)";
	case 0x21:
		return "instruction abort (current EL)";
	case 0x22:
		return "PC alignment fault";
	case 0x24:
		return "data abort (lower EL)";
	case 0x25:
		return "data abort (current EL)";
	case 0x26:
		return "SP alignment fault";
	case 0x2f:
		return "SError";
	case 0x30:
	case 0x31:
		return "breakpoint";
	case 0x32:
	case 0x33:
		return "software step";
	case 0x34:
	case 0x35:
		return "watchpoint";
	case 0x3c:
		return "BRK (BUG/WARN)";
	default:
		return "other exception class";
	}
}

// DFSC/IFSC (ARM ARM D17.2.40): level faults carry the level in bits [1:0].
static const char *fsc_name(unsigned int fsc, int *level)
{
	*level = -1;
	switch (fsc & 0x3c) {
	case 0x00:
		*level = (int)(fsc & 3);
		return "address size fault";
	case 0x04:
		*level = (int)(fsc & 3);
		return "translation fault";
	case 0x08:
		*level = (int)(fsc & 3);
		return "access flag fault";
	case 0x0c:
		*level = (int)(fsc & 3);
		return "permission fault";
	case 0x14:
		*level = (int)(fsc & 3);
		return "synchronous external abort on a table walk";
	case 0x1c:
		*level = (int)(fsc & 3);
		return "parity/ECC error on a table walk";
	}
	switch (fsc) {
	case 0x10:
		return "synchronous external abort";
	case 0x11:
		return "synchronous tag check fault (MTE)";
	case 0x18:
		return "synchronous parity/ECC error";
	case 0x21:
		return "alignment fault";
	case 0x30:
		return "TLB conflict abort";
	case 0x31:
		return "unsupported atomic hardware update";
	default:
		return "other fault status";
	}
}

void dms_esr_decode(uint64_t esr, struct dms_esr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->ec = (unsigned int)(esr >> 26) & 0x3f;
	ret->ec_name = ec_name(ret->ec);
	ret->data_abort = ret->ec == 0x24 || ret->ec == 0x25;
	ret->insn_abort = ret->ec == 0x20 || ret->ec == 0x21;
	ret->fsc_name = "";
	ret->level = -1;
	if (!ret->data_abort && !ret->insn_abort)
		return;
	ret->fsc = (unsigned int)esr & 0x3f;
	ret->fsc_name = fsc_name(ret->fsc, &ret->level);
	if (ret->data_abort) {
		ret->write = (esr >> 6) & 1;
		ret->cache_maint = (esr >> 8) & 1;
	}
}

char *dms_oops_abort_describe(const struct dms_oops *o, char *buf, size_t size)
{
	struct dms_esr e;
	int level = -1;
	const char *what;
	bool known_access = false, write = false, insn = false;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (o->has_esr) {
		dms_esr_decode(o->esr, &e);
		if (!e.data_abort && !e.insn_abort) {
			snprintf(buf, size, "%s, ESR %#" PRIx64, e.ec_name, o->esr);
			return buf;
		}
		what = e.fsc_name;
		level = e.level;
		insn = e.insn_abort;
		known_access = e.data_abort && !e.cache_maint;
		write = e.write;
	} else if (o->has_fsc) {
		what = fsc_name(o->fsc, &level);
		known_access = o->has_wnr;
		write = o->wnr;
	} else {
		return buf;
	}
	char lv[24] = "";
	if (level >= 0)
		snprintf(lv, sizeof(lv), "level %d ", level);
	char esr[32] = "";
	if (o->has_esr)
		snprintf(esr, sizeof(esr), ", ESR %#" PRIx64, o->esr);
	const char *access = insn ? "instruction fetch, " : "";
	if (known_access)
		access = write ? "write, " : "read, ";
	snprintf(buf, size, "%s%s%s%s", access, lv, what, esr);
	return buf;
}
