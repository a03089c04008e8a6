#!/usr/bin/env bash
# check-layout.sh VMLINUX LABFAULT.KO
# labfault.c keeps private copies of SLUB's structures (struct slab, and on 6.12
# struct kmem_cache and struct kmem_cache_cpu, which no public header declares).  A wrong
# copy compiles and silently reads the wrong field, so every member labfault uses is
# compared here, by offset, between the module's own DWARF (what the compiler laid out)
# and the kernel's debuginfo (the -dbg vmlinux).  Exit 1, naming the member, on any
# difference.  Uses pahole (dwarves), DWARF only.
set -euo pipefail
vmlinux=$1
ko=$2
die() { echo "check-layout: $*" >&2; exit 1; }
command -v pahole >/dev/null || die "pahole not found (apt-get install dwarves)"
[ -s "$vmlinux" ] || die "no vmlinux $vmlinux (dumps/fetch-debuginfo RELEASE)"
[ -s "$ko" ] || die "no module $ko"

# The module says which layout it was built with: struct slab (5.17+) or struct page.
# (pahole prints nothing at all when one of the -C types is missing: ask for what exists.)
if pahole -F dwarf -C slab "$ko" 2>/dev/null | grep -q '^struct slab {'; then
	types=slab,kmem_cache,kmem_cache_cpu
	members="slab.slab_cache slab.freelist kmem_cache_cpu.slab"
else
	types=page,kmem_cache,kmem_cache_cpu
	members="page.slab_cache page.freelist kmem_cache_cpu.page"
fi
members="$members kmem_cache_cpu.freelist kmem_cache.cpu_slab kmem_cache.size
 kmem_cache.object_size kmem_cache.offset kmem_cache.name kmem_cache.random"
ko_types=$(pahole -F dwarf -C "$types" "$ko" 2>/dev/null) ||
	die "pahole cannot read $ko (built without debug info?)"
k_types=$(pahole -F dwarf -C "$types" "$vmlinux" 2>/dev/null) ||
	die "pahole cannot read $vmlinux"

# offset TEXT STRUCT MEMBER: the byte offset pahole prints for STRUCT's MEMBER (members of
# anonymous unions and structs are printed with offsets from the start of STRUCT).
offset() {
	awk -v s="$2" -v m="$3" '
		$0 ~ "^struct " s " {" { in_s = 1; next }
		in_s && /^};/ { exit }
		in_s {
			line = $0
			sub(/\/\*.*/, "", line)
			if (line ~ "[ *]" m ";[ \t]*$") {
				c = $0
				sub(/.*\/\*[ \t]*/, "", c)
				split(c, f, /[ \t:]+/)
				print f[1]
				exit
			}
		}' <<<"$1"
}

bad=0
for sm in $members; do
	s=${sm%%.*}
	m=${sm#*.}
	a=$(offset "$ko_types" "$s" "$m")
	b=$(offset "$k_types" "$s" "$m")
	if [ -z "$a" ] || [ -z "$b" ] || [ "$a" != "$b" ]; then
		echo "check-layout: struct $s.$m: labfault.c has offset ${a:-none}," \
			"the kernel's debuginfo ${b:-none} ($(basename "$vmlinux"))" >&2
		bad=1
	fi
done
[ $bad -eq 0 ] || die "labfault.c's slab structures do not match this kernel: fix the copy for it"
echo "check-layout: $(echo $members | wc -w) slab members match $(basename "$vmlinux")"
