// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the oops' bad pointer and where it came from (see panic.h).
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
	if (!ret->rip && o->rip_sym[0]) {
		// "func+0x48/0xc0": the function's address comes from the vmlinux.
		snprintf(ret->sym, sizeof(ret->sym), "%s", o->rip_sym);
		char *plus = strchr(ret->sym, '+');
		if (plus) {
			ret->sym_off = strtoull(plus + 1, NULL, 16);
			*plus = '\0';
		}
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

// The carved frame holding physical address pa, or NULL.
static const struct dms_vframe *frame_at(const struct dms_facts *f, uint64_t pa)
{
	for (size_t i = 0; i < f->nframes; i++)
		if (pa >= f->frames[i].paddr && pa < f->frames[i].paddr + f->frames[i].len)
			return &f->frames[i];
	return NULL;
}

void dms_panic_analyze(const struct dms_facts *f, struct dms_vpanic *ret)
{
	struct dms_panic_plan *plan = malloc(sizeof(*plan));
	const struct dms_fpanic *rd = &f->panic;

	memset(ret, 0, sizeof(*ret));
	if (!plan)
		return;
	dms_panic_plan(f->has_log ? f->log : NULL, f->log_len, f->arch, f->va_bits, rd, plan);
	if (!plan->culprit)
		goto out;
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
