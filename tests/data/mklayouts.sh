#!/bin/sh
# Regenerate the layout fixtures tests/data/layouts/RELEASE.json from each lab
# kernel's debuginfo vmlinux (dumps/fetch-debuginfo RELEASE; ~1 GB each, cached).
#   tests/data/mklayouts.sh [RELEASE...]     default: every kernel dumps/fetch-debuginfo lists
# Review `git diff tests/data/layouts` like a golden file.
set -e
cd "$(dirname "$0")/../.."
make -s lib/libdmasleuth.a
tool=tests/data/mklayouts
${CC:-cc} -std=gnu11 -O1 -g -Wall -Wextra -Ilib -o $tool tests/data/mklayouts.c \
	lib/libdmasleuth.a -lpcap -lcapstone -ldw -lelf
[ $# -gt 0 ] || set -- $(dumps/fetch-debuginfo --list)
for rel in "$@"; do
	eval "$(dumps/fetch-debuginfo "$rel")"
	$tool "$rel" "$VMLINUX" > "tests/data/layouts/$rel.json.tmp"
	mv "tests/data/layouts/$rel.json.tmp" "tests/data/layouts/$rel.json"
	echo "mklayouts: tests/data/layouts/$rel.json ($(wc -c < "tests/data/layouts/$rel.json") bytes)"
done
rm -f $tool
