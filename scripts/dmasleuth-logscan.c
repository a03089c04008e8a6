// SPDX-License-Identifier: GPL-2.0-or-later
// dmasleuth-logscan: the kernel log signatures of lib/logsig.c for plain text logs
// (dmesg, journal exports, pstore/ramoops files), one JSON object per matching line.
//
//   dmasleuth-logscan [--redact KEY[,opts]] FILE...      ("-" reads standard input)
//   dmasleuth-logscan --redact KEY[,opts] --text         (a filter: stdin to stdout)
//
// After a file's signature lines, one line {"file":..., "oops":{...}} when the log holds an
// oops (lib/oops.c, x86-64 or arm64 recognised from the text): its architecture, headline,
// where (pc: RIP or pc symbol), the task, and the log offset; the arm64 fault address and
// abort (ESR); and the faulting instruction decoded by lib/insn.c from the "Code:" line,
// the register whose value made the address bad, why (lib/vaddr.c), and the load before it
// (docs/triage.md).
//
// Exit status: 0 when no NIC/DMA signature was found, 1 when one was, 2 on errors.
// dmasleuth-triage uses it for log files that come without a vmcore.  --redact maps every
// IPv4, IPv6 and MAC address in the lines it prints (lib/redact.h, docs/redaction.md);
// with --text it only copies its standard input to its output so redacted.
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"
#include "logsig.h"
#include "oops.h"
#include "redact.h"
#include "vaddr.h"

struct ctx {
	const char *file;
	int nic;
};

static struct dms_redact *redact; // --redact

// Text as printed: with --redact, addresses mapped.
static const char *shown(const char *text)
{
	static char buf[8192];

	if (!redact)
		return text;
	dms_redact_text(redact, text, buf, sizeof(buf));
	return buf;
}

// JSON string with the escapes RFC 8259 requires; log text is untrusted.
static void json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

static struct dms_error *emit(const struct dms_logsig *sig, const char *line, void *arg)
{
	struct ctx *ctx = arg;
	static const char *const klass[] = { "nic", "corruption", "crash", "context" };

	if (sig->klass == DMS_LOGCLASS_NIC)
		ctx->nic = 1;
	printf("{\"file\":");
	json_str(stdout, ctx->file);
	printf(",\"offset\":%zu,\"kind\":\"%s\",\"class\":\"%s\"", sig->offset, sig->name,
	       klass[sig->klass]);
	if (sig->time >= 0)
		printf(",\"time\":%.6f", sig->time);
	if (sig->driver[0]) {
		printf(",\"driver\":");
		json_str(stdout, sig->driver);
	}
	if (sig->device[0]) {
		printf(",\"device\":");
		json_str(stdout, sig->device);
	}
	if (sig->netdev[0]) {
		printf(",\"netdev\":");
		json_str(stdout, sig->netdev);
	}
	if (sig->queue >= 0)
		printf(",\"queue\":%d", sig->queue);
	if (sig->count >= 0)
		printf(",\"count\":%ld", sig->count);
	if (sig->seconds >= 0)
		printf(",\"seconds\":%ld", sig->seconds);
	if (sig->irq >= 0)
		printf(",\"irq\":%d", sig->irq);
	if (sig->address)
		printf(",\"address\":\"0x%llx\"", (unsigned long long)sig->address);
	printf(",\"meaning\":");
	json_str(stdout, dms_logsig_kind_meaning(sig->kind));
	printf(",\"line\":");
	json_str(stdout, shown(line));
	printf("}\n");
	return NULL;
}

static void json_key_str(const char *key, const char *value)
{
	printf(",\"%s\":", key);
	json_str(stdout, value);
}

// The first oops of the log, when there is one, as {"file":..., "oops":{...}}: what a
// report's panic headline needs (lib/oops.c: headline, where, the task), and what its
// Code: line says (lib/insn.c).
static void emit_oops(const char *file, const char *log, size_t len)
{
	static struct dms_oops o; // large (register dump, code bytes): not on the stack
	char buf[192];

	dms_oops_parse(log, len, &o);
	if (!o.found)
		return;
	printf("{\"file\":");
	json_str(stdout, file);
	printf(",\"oops\":{\"arch\":\"%s\",\"offset\":%zu", dms_arch_name(o.arch), o.offset);
	json_key_str("headline", shown(o.headline));
	if (strcmp(o.die_line, o.headline))
		json_key_str("die_line", shown(o.die_line));
	if (o.rip_sym[0])
		json_key_str("pc", o.rip_sym);
	printf(",\"user_mode\":%s", o.user_mode ? "true" : "false");
	if (o.lr_sym[0])
		json_key_str("lr", o.lr_sym);
	if (o.comm[0])
		json_key_str("comm", o.comm);
	if (o.pid >= 0)
		printf(",\"pid\":%d", o.pid);
	if (o.has_far)
		printf(",\"fault_address\":\"0x%016llx\"", (unsigned long long)o.far);
	if (dms_oops_abort_describe(&o, buf, sizeof(buf))[0])
		json_key_str("abort", buf);
	unsigned int va_bits = o.va_bits ? o.va_bits : 48;
	if (o.code_rip < 0 || (o.arch != DMS_ARCH_X86_64 && o.arch != DMS_ARCH_ARM64)) {
		printf("}}\n");
		return;
	}
	struct dms_fault_insn fi;
	struct dms_load_site ls;
	const uint8_t *code = o.code + o.code_rip;
	size_t clen = o.code_len - (size_t)o.code_rip;
	struct dms_error *err = dms_insn_analyze(o.arch, code, clen, o.rip, &o.regs, va_bits, &fi);
	if (!err) {
		json_key_str("insn", fi.text);
		if (fi.has_mem)
			printf(",\"access\":\"%s\"", fi.mem_written ? "write" : "read");
		if (fi.ea_known)
			printf(",\"address\":\"0x%016llx\"", (unsigned long long)fi.ea);
	}
	if (!err && fi.culprit != DMS_REG_NONE) {
		uint64_t v = o.regs.r[fi.culprit];
		json_key_str("culprit", dms_reg_name(fi.culprit));
		printf(",\"value\":\"0x%016llx\",\"bad_pointer\":%s", (unsigned long long)v,
		       dms_vaddr_bad_pointer(o.arch, va_bits, v) ? "true" : "false");
		json_key_str("why", dms_vaddr_describe(o.arch, va_bits, v, buf, sizeof(buf)));
		err = dms_insn_find_load(o.arch, o.code, (size_t)o.code_rip, o.rip, fi.culprit,
					 &o.regs, &ls);
		if (!err && ls.found)
			json_key_str("loaded_by", ls.text);
	}
	dms_error_destroy(err);
	printf("}}\n");
}

static char *slurp(FILE *fp, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, fp);

		n += got;
		if (n < cap) {
			if (ferror(fp)) {
				free(buf);
				return NULL;
			}
			break;
		}
		// Logs are small; refuse anything past 1 GiB rather than grow without end.
		char *bigger = cap < (1u << 30) ? realloc(buf, cap * 2) : NULL;
		if (!bigger) {
			free(buf);
			return NULL;
		}
		buf = bigger;
		cap *= 2;
	}
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	int status = 0, nic = 0, first = 1;
	bool text = false;

	while (first < argc) {
		if (!strcmp(argv[first], "--redact") && first + 1 < argc) {
			struct dms_error *err = dms_redact_create_spec(argv[first + 1], &redact);
			if (err) {
				fprintf(stderr, "dmasleuth-logscan: %s\n",
					err->message ? err->message : dms_error_string(err->code));
				dms_error_destroy(err);
				return 2;
			}
			first += 2;
		} else if (!strcmp(argv[first], "--text")) {
			text = true;
			first++;
		} else {
			break;
		}
	}
	if (text && redact) {
		// A filter: every line of the input, addresses mapped.
		char line[8192];
		while (fgets(line, sizeof(line), stdin))
			fputs(shown(line), stdout);
		dms_redact_destroy(redact);
		return ferror(stdin) ? 2 : 0;
	}
	if (first >= argc || text || !strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
		fprintf(stderr, "usage: dmasleuth-logscan [--redact KEY[,opts]] FILE...   (- for "
				"standard input)\n"
				"       dmasleuth-logscan --redact KEY[,opts] --text\n");
		return 2;
	}
	for (int i = first; i < argc; i++) {
		FILE *fp = strcmp(argv[i], "-") ? fopen(argv[i], "rb") : stdin;
		size_t len = 0;
		char *log;

		if (!fp) {
			fprintf(stderr, "dmasleuth-logscan: %s: %s\n", argv[i], strerror(errno));
			status = 2;
			continue;
		}
		log = slurp(fp, &len);
		if (fp != stdin)
			fclose(fp);
		if (!log) {
			fprintf(stderr, "dmasleuth-logscan: %s: cannot read\n", argv[i]);
			status = 2;
			continue;
		}
		struct ctx ctx = { .file = argv[i] };
		struct dms_error *err = dms_logsig_scan(log, len, emit, &ctx);
		if (!err)
			emit_oops(argv[i], log, len);
		free(log);
		if (err) {
			fprintf(stderr, "dmasleuth-logscan: %s: %s\n", argv[i],
				err->message ? err->message : dms_error_string(err->code));
			dms_error_destroy(err);
			status = 2;
		}
		nic |= ctx.nic;
	}
	dms_redact_destroy(redact);
	return status ? status : nic;
}
