// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the oops' bad pointer and where it came from (see panic.h).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panic.h"

void dms_panic_plan(const char *log, size_t len, enum dms_arch arch, unsigned int va_bits,
		    const struct dms_fpanic *reads, struct dms_panic_plan *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->insn.culprit = DMS_REG_NONE;
	if (!log)
		return;
	struct dms_oops *o = &ret->oops;
	dms_oops_parse_arch(log, len, arch, o);
	if (!o->found)
		return;
	// Virtual address width: the facts table's, else what the oops printed ("48-bit
	// VAs"), else 48.
	ret->va_bits = va_bits ? va_bits : o->va_bits ? o->va_bits : 48;
	ret->rip = o->rip;
	if (!ret->rip && o->rip_func_ok) {
		// "func+0x48/0xc0" (exactly that form: lib/oops.c): the function's address
		// comes from the vmlinux.
		snprintf(ret->sym, sizeof(ret->sym), "%s", o->rip_func);
		ret->sym_off = o->rip_off;
		ret->need_sym = true;
		if (reads && reads->has_sym && !strcmp(reads->rip_sym, ret->sym))
			ret->rip = reads->sym_addr + ret->sym_off;
	}
	const uint8_t *code = o->code_rip >= 0 ? o->code + o->code_rip : NULL;
	size_t clen = o->code_rip >= 0 ? o->code_len - (size_t)o->code_rip : 0;
	dms_error_destroy(dms_insn_analyze(o->arch, code, clen, ret->rip, &o->regs, ret->va_bits,
					   &ret->insn));
	if (ret->insn.culprit == DMS_REG_NONE)
		return;
	ret->culprit = true;
	ret->value = o->regs.r[ret->insn.culprit];
	if (ret->insn.culprit == dms_reg_pc(ret->insn.arch))
		ret->value = ret->rip; // also when only the symbol was printed
	ret->noncanonical = dms_vaddr_bad_pointer(ret->insn.arch, ret->va_bits, ret->value);
	if (!ret->noncanonical)
		return;
	// Where the bad value came from: first the code, the instruction before RIP that
	// loaded the register and the address it read (the seed's `dis -r` + `rd`).
	if (o->code_rip > 0)
		dms_error_destroy(dms_insn_find_load(o->arch, o->code, (size_t)o->code_rip,
						     ret->rip, ret->insn.culprit, &o->regs,
						     &ret->ls));
	// Else (or if that word is not the value any more): where memory holds it.
	ret->search = !(ret->ls.found && ret->ls.ea_known && reads && reads->has_load &&
			reads->load_ea == ret->ls.ea && reads->load_value == ret->value);
}

// The carved frame holding physical address pa, or NULL.  A binary search when the
// frames are in scan order (increasing paddr, as the glue records them), else a scan.
static const struct dms_vframe *frame_at(const struct dms_facts *f, uint64_t pa)
{
	size_t lo = 0, hi = f->nframes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->frames[mid].paddr <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && pa < f->frames[lo - 1].paddr + f->frames[lo - 1].len)
		return &f->frames[lo - 1];
	for (size_t i = 0; i < f->nframes; i++) // frames not in order (a hand-made facts file)
		if (pa >= f->frames[i].paddr && pa < f->frames[i].paddr + f->frames[i].len)
			return &f->frames[i];
	return NULL;
}

// Why an oops the log shows was not analysed ("" when it was, or when there is none):
// a headline the parser does not recognise, or a missing part.
static void not_analysed(const struct dms_facts *f, const struct dms_panic_plan *plan, char *buf,
			 size_t size)
{
	buf[0] = '\0';
	const struct dms_oops *o = &plan->oops;
	if (!f->has_log || !f->log)
		return;
	if (!o->found) {
		static const char *const marks[] = { "general protection fault", "BUG: ", "Oops",
						     "Unable to handle kernel" };
		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
			const char *m = memmem(f->log, f->log_len, marks[i], strlen(marks[i]));
			if (!m)
				continue;
			size_t k = 0;
			while (m + k < f->log + f->log_len && m[k] != '\n' && k < 80)
				k++;
			snprintf(buf, size,
				 "the log has \"%.*s\" but no oops headline (\"[#1]\") "
				 "was parsed",
				 (int)k, m);
			return;
		}
		return;
	}
	const char *miss =
		o->code_rip < 0 || !o->code_len ? "its Code: line is missing or unreadable"
		: !plan->rip && o->rip_sym[0] && !o->rip_func_ok
			? "its RIP/PC symbol is not func+0xOFF/0xSIZE"
		: !plan->rip	     ? "its RIP/PC is missing or unreadable"
		: !plan->insn.length ? "the code bytes at RIP/PC do not decode"
		: plan->insn.has_mem && !plan->insn.ea_known
			? "registers the faulting address needs are missing or unreadable"
			: NULL;
	if (miss)
		snprintf(buf, size, "%s; oops: %.70s", miss, o->headline);
}

void dms_panic_analyze(const struct dms_facts *f, struct dms_vpanic *ret)
{
	struct dms_panic_plan *plan = malloc(sizeof(*plan));
	const struct dms_fpanic *rd = &f->panic;

	memset(ret, 0, sizeof(*ret));
	if (!plan)
		return;
	dms_panic_plan(f->has_log ? f->log : NULL, f->log_len, f->arch, f->va_bits, rd, plan);
	if (!plan->culprit) {
		not_analysed(f, plan, ret->not_analysed, sizeof(ret->not_analysed));
		goto out;
	}
	ret->valid = true;
	ret->arch = plan->insn.arch;
	snprintf(ret->reg, sizeof(ret->reg), "%s", dms_reg_name(plan->insn.culprit));
	ret->value = plan->value;
	ret->noncanonical = plan->noncanonical;
	dms_vaddr_describe(plan->insn.arch, plan->va_bits, plan->value, ret->why, sizeof(ret->why));
	// arm64: what the abort was ("read, level 0 translation fault"), from the ESR.
	char abort[96] = "";
	if (plan->insn.arch == DMS_ARCH_ARM64)
		dms_oops_abort_describe(&plan->oops, abort, sizeof(abort));
	if (abort[0])
		snprintf(ret->insn, sizeof(ret->insn), "%.118s at %.80s (%.50s)", plan->insn.text,
			 plan->oops.rip_sym[0] ? plan->oops.rip_sym : "PC", abort);
	else
		snprintf(ret->insn, sizeof(ret->insn), "%.150s at %.90s", plan->insn.text,
			 plan->oops.rip_sym[0] ? plan->oops.rip_sym : "RIP");
	if (!plan->noncanonical)
		goto out;
	if (plan->ls.found)
		snprintf(ret->load_insn, sizeof(ret->load_insn), "%s", plan->ls.text);
	if (!plan->search) {
		// The load site's word is the value: that is where it came from.
		const struct dms_vframe *fr = frame_at(f, rd->load_paddr);
		if (fr) {
			ret->value_in_frame = true;
			ret->frame_paddr = fr->paddr;
		}
		ret->loaded_from = rd->load_kvaddr ? rd->load_kvaddr : rd->load_paddr;
		snprintf(ret->loaded_from_owner, sizeof(ret->loaded_from_owner), "%s",
			 rd->load_owner);
		goto out;
	}
	if (!rd->searched || rd->searched_value != plan->value || !rd->nhits)
		goto out;
	ret->value_copies = rd->nhits;
	ret->value_copies_more = rd->hits_more;
	// Prefer a copy inside a frame, then one in a slab object (where pointers are
	// loaded from), then the first.
	const struct dms_fvalue_hit *where = NULL;
	for (size_t i = 0; i < rd->nhits && !where; i++) {
		const struct dms_vframe *fr = frame_at(f, rd->hits[i].paddr);
		if (fr) {
			ret->value_in_frame = true;
			ret->frame_paddr = fr->paddr;
			where = &rd->hits[i];
		}
	}
	for (size_t i = 0; i < rd->nhits && !where; i++)
		if (rd->hits[i].owner == DMS_OWNER_SLAB)
			where = &rd->hits[i];
	if (!where)
		where = &rd->hits[0];
	ret->loaded_from = where->kvaddr ? where->kvaddr : where->paddr;
	ret->loaded_delta = where->delta;
	snprintf(ret->loaded_from_owner, sizeof(ret->loaded_from_owner), "%s", where->owner_text);
out:
	free(plan);
}
