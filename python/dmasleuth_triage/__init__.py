"""dmasleuth-triage: run crash + dmasleuth over directories of vmcores and say which ones
look like NIC DMA-after-free, which NICs, which flows (docs/triage.md).

Modules: paths (where the tools are), formats (dump formats and their headers), vmlinux (build-id matching), session
(crash sessions and which crash opens a dump), logs (log signatures and the panic
headline), analyse (one input, start to result), store (results on disk, resume),
report (table, summary.json, HTML), fleet (runs on many hosts: GNU parallel, Slurm,
--merge), cli (the command line).
"""
import sys

VERSION = 4  # of the per-dump result format; results of another version are redone
DUMP_KINDS = ('kdump', 'flattened', 'elf-core')


def warn(msg):
    print('dmasleuth-triage: %s' % msg, file=sys.stderr, flush=True)
