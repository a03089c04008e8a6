// SPDX-License-Identifier: GPL-2.0-or-later
// compat_offsets: every crash structure member, constant and macro the extension
// (extensions/*.c) uses, as seen through one crash defs.h.  tests/vmcore/compat_test.py
// builds it against /usr/include/crash and against crash 8.0.6's defs.h and diffs the
// outputs: they must be equal (docs/compat.md, "crash versions").  A new use of a crash
// structure in the glue belongs here too; `make extension-compat` catches it anyway by
// comparing the objects.
//
//   cc -DX86_64 -D_GNU_SOURCE -isystem DIR_WITH_crash/defs.h -o compat_offsets compat_offsets.c
#include <crash/defs.h>

#include <stddef.h>
#include <stdio.h>

#define FIELD(type, member)                                                                        \
	printf("offset %s.%s %zu\n", #type, #member, offsetof(struct type, member))
#define SIZEOF(type) printf("sizeof %s %zu\n", #type, sizeof(struct type))
#define VALUE(c) printf("value %s %#llx\n", #c, (unsigned long long)(c))
// A macro's expansion: the same text calls the same functions and reads the same members.
#define EXPAND_(...) #__VA_ARGS__
#define EXPAND(name, ...) printf("macro %s %s\n", name, EXPAND_(__VA_ARGS__))

int main(void)
{
	// pc-> (dmaf, slabcheck: the log through dump_log into pc->tmpfile; cmd_usage)
	FIELD(program_context, curcmd);
	FIELD(program_context, tmpfile);
	FIELD(program_context, read_vmcoreinfo);
	FIELD(program_context, namelist); // netdev: the vmlinux of built-in drivers
	FIELD(program_context, namelist_debug);
	// kt-> (per-CPU offsets, CPU count, release for the debuginfo cache)
	FIELD(kernel_table, cpus);
	FIELD(kernel_table, __per_cpu_offset);
	FIELD(kernel_table, utsname);
	FIELD(new_utsname, release);
	// vt-> and its node table (memory ranges)
	FIELD(vm_table, numnodes);
	FIELD(vm_table, node_table);
	FIELD(node_table, start_paddr);
	FIELD(node_table, size);
	SIZEOF(node_table);
	// machdep-> and machdep->machspec-> (directly and through the macros below)
	FIELD(machdep_table, flags);
	FIELD(machdep_table, pagesize);
	FIELD(machdep_table, pageshift);
	FIELD(machdep_table, kvbase);
	FIELD(machdep_table, is_kvaddr);
	FIELD(machdep_table, machspec);
	FIELD(machine_specific, userspace_top);
	FIELD(machine_specific, vmemmap_vaddr);
	// value_search()'s result; do_xarray()/do_radix_tree()'s array; the command table
	FIELD(syment, name);
	FIELD(list_pair, index);
	FIELD(list_pair, value);
	SIZEOF(list_pair);
	FIELD(command_table_entry, name);
	FIELD(command_table_entry, func);
	FIELD(command_table_entry, help_data);
	FIELD(command_table_entry, flags);
	SIZEOF(command_table_entry);
	// struct load_module: only through pointers crash returns (module_symbol(),
	// is_module_name()), only these leading members.  Its size differs (584 in 8.0.2,
	// 936 in 8.0.6): never index st->load_modules[].
	FIELD(load_module, mod_namelist);
	FIELD(load_module, mod_name);
	FIELD(load_module, mod_flags);
	VALUE(MOD_LOAD_SYMS);
	// constants
	VALUE(KVADDR);
	VALUE(PHYSADDR);
	VALUE(QUIET);
	VALUE(RETURN_ON_ERROR);
	VALUE(FAULT_ON_ERROR);
	VALUE(VM_5LEVEL);
	VALUE(NR_CPUS);
	VALUE(XARRAY_COUNT);
	VALUE(XARRAY_GATHER);
	VALUE(RADIX_TREE_COUNT);
	VALUE(RADIX_TREE_GATHER);
	VALUE(SYNOPSIS);
	VALUE(FATAL);
	VALUE(INFO);
	VALUE(WARNING);
	// macros
	EXPAND("PAGESIZE", PAGESIZE());
	EXPAND("PAGESHIFT", PAGESHIFT());
	EXPAND("PTOV", PTOV(x));
	EXPAND("IS_KVADDR", IS_KVADDR(x));
	EXPAND("IS_VMALLOC_ADDR", IS_VMALLOC_ADDR(x));
	EXPAND("USERSPACE_TOP", USERSPACE_TOP);
	EXPAND("VMEMMAP_VADDR", VMEMMAP_VADDR);
	EXPAND("MEMBER_OFFSET", MEMBER_OFFSET(s, m));
	EXPAND("ANON_MEMBER_OFFSET", ANON_MEMBER_OFFSET(s, m));
	EXPAND("MEMBER_SIZE", MEMBER_SIZE(s, m));
	EXPAND("ANON_MEMBER_SIZE", ANON_MEMBER_SIZE(s, m));
	EXPAND("MEMBER_EXISTS", MEMBER_EXISTS(s, m));
	EXPAND("MEMBER_TYPE_NAME", MEMBER_TYPE_NAME(s, m));
	EXPAND("STRUCT_SIZE", STRUCT_SIZE(s));
	EXPAND("STRUCT_EXISTS", STRUCT_EXISTS(s));
	EXPAND("UNION_SIZE", UNION_SIZE(s));
	EXPAND("GETBUF", GETBUF(n));
	EXPAND("FREEBUF", FREEBUF(p));
	EXPAND("error", error(FATAL, "x"));
	return 0;
}
