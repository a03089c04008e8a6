// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth: the `dmaf` command, the DMA-after-free verdict.
//
// Gathers the facts of the dump (facts.c: reads only), hands them to lib/verdict.c,
// which decides everything (docs/dmaf.md), and prints its verdict with numbered
// evidence, or one JSON object (-j); writes the facts (-f) so the verdict can be
// replayed without crash (scripts/dmasleuth-verdict), and the incriminating frames
// to a pcapng (-w).
#include <crash/defs.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dms_ext.h"
#include "facts.h"
#include "pcapw.h"
#include "redact.h"
#include "verdict.h"

char *dms_help_dmaf[] = {
	"dmaf",
	"the verdict: did a NIC DMA-write frames into freed memory?",
	"[-j] [-w FILE] [-f FILE] [-R key[,opts]] [-q] [-v] [-M]",
	"  Scans all dumpable physical memory for network frames, finds who owns the",
	"  memory each one sits in (slab object and whether it is allocated, page table,",
	"  page_pool, free page ...), walks every NIC's RX rings, reads the kernel log's",
	"  NIC signatures, decodes the oops' faulting instruction and finds where its bad",
	"  value lives, and checks the slab allocator's metadata.  Then it says:",
	"",
	"    dma-after-free           whole received frames (Ethernet header, valid IP",
	"                             header) inside objects of caches that never hold",
	"                             packets, attributed to a device (addressed to a",
	"                             local NIC's MAC, behind a virtio_net header, or in a",
	"                             buffer an RX ring slot points at)",
	"    slab-corruption-not-dma  slab damage whose bytes are not packet data",
	"    no-corruption-found      packets only where packets belong",
	"    inconclusive             anything in between, with the reason",
	"",
	"  with a score (how much independent evidence agrees), the suspected netdev,",
	"  driver and ring, the flows involved, and numbered evidence: each item names an",
	"  address to re-check with kmem, rd or struct.  NOTE lines say what could not",
	"  be read and how to get it, and give context (page_pool pages in flight, IRQ",
	"  storms, offloads of NICs the log names).  docs/dmaf.md has the rules.",
	"",
	"    -j       one JSON object (docs/json.md): verdict, score, netdev, driver,",
	"             ring, flows[], frame counts, evidence[], notes[]",
	"    -w FILE  write the incriminating frames to FILE (pcapng, one comment per",
	"             frame: physical and virtual address, owner)",
	"    -f FILE  also write the facts the verdict was made from to FILE (JSON,",
	"             docs/json.md; long form --facts): dmasleuth-verdict FILE prints",
	"             the same verdict without crash or the dump",
	"    -R key[,keep=N][,cut][,oui]",
	"             redact for sharing (docs/redaction.md): IP addresses mapped",
	"             prefix-preservingly (Crypto-PAn) and MACs by the key in the flows,",
	"             evidence, notes and frames; payload after the L4 header zeroed",
	"             (cut: left out; keep=N: its first N bytes stay), checksums",
	"             recomputed; the -w FILE made mode 0600.  key: a key file,",
	"             pass:PHRASE or env:VAR; oui: MACs keep their vendor bytes.",
	"             The facts (-f) are not redacted: they hold the log and addresses.",
	"    -q       no progress on the terminal",
	"    -v       list every incriminating frame",
	"    -M       read memory through crash's readmem only: by default the scan",
	"             reads a kdump-compressed or ELF dump file itself, with one",
	"             thread per CPU decompressing pages (pktscan -t; same results)",
	"",
	"EXAMPLE",
#include "dmaf_example.h" // generated from docs/examples/dmaf.txt
	NULL,
};

struct dmaf {
	bool json, quiet, verbose;
	const char *wfile, *ffile, *redact_spec;
	// -R: every address the output shows goes through this map (docs/redaction.md).
	struct dms_redact *redact;
	struct dms_facts facts;
	struct dms_vresult res;
};

static struct dmaf dmaf_state;

static struct dms_error *write_pcap(struct dmaf *d)
{
	struct dms_pcapng *png = NULL;
	mode_t mask = d->redact ? umask(077) : 0; // redacted output: private (0600)
	struct dms_error *err = dms_pcapng_create(d->wfile, &png);
	if (d->redact) {
		umask(mask);
		if (!err)
			dms_ext_private_file(d->wfile);
	}
	uint8_t buf[16384];
	size_t written = 0;

	for (size_t i = 0; !err && i < d->facts.nframes; i++) {
		const struct dms_vframe *f = &d->facts.frames[i];
		if (dms_frame_classify(&d->facts, f) != DMS_FRAME_INCRIMINATING)
			continue;
		size_t len = f->len < sizeof(buf) ? f->len : sizeof(buf);
		size_t got = dms_read_phys(f->paddr, buf, len);
		struct dms_pkt p;
		dms_pkt_decode(buf, got, DMS_L2_ETHERNET, &p);
		if (!dms_pkt_is_hit(&p) && !dms_pkt_damaged(&p))
			continue; // rewritten since the scan: nothing to export
		if (d->redact)
			p.caplen = dms_redact_frame(d->redact, buf, p.caplen, &p);
		char owner[160];
		if (f->owner == DMS_OWNER_PGTABLE)
			snprintf(owner, sizeof(owner), "page table");
		else
			snprintf(owner, sizeof(owner), "%s %#" PRIx64 " %+d %s", f->cache, f->obj,
				 f->obj_offset,
				 f->state == DMS_VOBJ_LIVE ? "allocated" : "state unknown");
		struct dms_pkt_meta meta = { .paddr = f->paddr,
					     .has_paddr = true,
					     .kvaddr = f->kvaddr,
					     .has_kvaddr = f->kvaddr != 0,
					     .owner = owner };
		err = dms_pcapng_write(png, &p, buf, &meta);
		written += !err;
	}
	struct dms_error *cerr = dms_pcapng_destroy(png);
	if (!err)
		err = cerr;
	else
		dms_error_destroy(cerr);
	if (!err && !d->json)
		fprintf(fp, "WROTE: %zu frames to %s\n", written, d->wfile);
	return err;
}

static struct dms_error *write_facts(struct dmaf *d)
{
	FILE *out = fopen(d->ffile, "w");

	if (!out)
		return dms_error_create(DMS_ERR_IO, "cannot create %s", d->ffile);
	bool ok = dms_facts_write(&d->facts, out);
	if (fclose(out) || !ok)
		return dms_error_create(DMS_ERR_IO, "cannot write %s", d->ffile);
	if (!d->json)
		fprintf(fp, "FACTS: written to %s\n", d->ffile);
	return NULL;
}

static void dmaf_release(struct dmaf *d)
{
	dms_redact_destroy(d->redact);
	dms_facts_deinit(&d->facts);
	memset(d, 0, sizeof(*d));
}

void dms_cmd_dmaf(void)
{
	static const struct option longopts[] = {
		{ "facts", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct dmaf *d = &dmaf_state;
	int c;

	dmaf_release(d); // what an interrupted run left behind
	dms_facts_init(&d->facts);
	dms_facts_readmem_only = false;
	while ((c = getopt_long(argcnt, args, "jw:f:R:qvM", longopts, NULL)) != EOF) {
		switch (c) {
		case 'j':
			d->json = true;
			break;
		case 'w':
			d->wfile = optarg;
			break;
		case 'f':
			d->ffile = optarg;
			break;
		case 'R':
			d->redact_spec = optarg;
			break;
		case 'q':
			d->quiet = true;
			break;
		case 'v':
			d->verbose = true;
			break;
		case 'M':
			dms_facts_readmem_only = true;
			break;
		default:
			argerrs++;
			break;
		}
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS); // longjmps: nothing allocated yet

	// IRQ counts first: crash's tree walker may abort the command on a damaged tree,
	// and nothing is allocated or installed yet.
	dms_ext_facts_irqs(&d->facts);

	struct dms_error *err = NULL;
	if (d->redact_spec) {
		err = dms_redact_create_spec(d->redact_spec, &d->redact);
		if (err)
			goto out;
	}
	struct dms_interrupt intr;
	dms_interrupt_begin(&intr);
	err = dms_ext_facts_gather(&d->facts, d->quiet);
	dms_interrupt_end(&intr);
	if (err)
		goto out;
	err = dms_verdict_compute(&d->facts, &d->res);
	if (err)
		goto out;
	if (d->json)
		dms_verdict_write_json(fp, &d->facts, &d->res, d->redact);
	else
		dms_verdict_write_text(fp, &d->facts, &d->res, d->verbose, d->redact);
	if (d->ffile)
		err = write_facts(d);
	if (!err && d->wfile)
		err = write_pcap(d);
out:
	if (err) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s",
			 err->message ? err->message : dms_error_string(err->code));
		bool stopped = err->code == DMS_ERR_STOP;
		dms_error_destroy(err);
		dmaf_release(d);
		error(INFO, "%s%s\n", stopped ? "interrupted: " : "", msg);
		return;
	}
	dmaf_release(d);
}
