"""Reports: the terminal table, summary.json with the cross-dump groups, and the
self-contained HTML report (no network fetches; flagged inputs first, skipped inputs in a
collapsed section at the end)."""
import datetime
import html
import os
import re
import sys

from . import DUMP_KINDS, VERSION

FAILED = ('truncated', 'invalid', 'no-vmlinux', 'timeout', 'crash-error', 'error', 'not-done')


def report_order(results):
    """Flagged inputs first, then those that failed, then the rest; input order within
    each; skipped inputs left out (they are listed apart)."""
    shown = [r for r in results if r.get('status') != 'skipped']

    def rank(r):
        return 0 if r.get('flagged') else 1 if r.get('status') in FAILED else 2
    return sorted(shown, key=rank)  # stable


def columns(results):
    """The table's columns; "host" only when the inputs come from more than one host."""
    cols = ['dump', 'kernel', 'panic', 'verdict', 'score', 'netdev', 'top flow', 'time']
    if any(r.get('origin') for r in results):
        cols.insert(1, 'host')
    return cols


def top_flow(r):
    flows = r.get('flows') or []
    return re.sub(r' \(\d+\)$', '', str(flows[0])) if flows else ''


# The terminal table's panic column says the same in fewer characters (the report and
# summary.json keep the words): what died, then where.
SHORT = ((r'^general protection fault, probably for non-canonical address ', 'GPF, non-canonical '),
         (r'^general protection fault', 'GPF'),
         (r'^BUG: kernel NULL pointer dereference, address: ', 'NULL deref at '),
         (r'^BUG: unable to handle page fault for address: ', 'page fault at '),
         (r'^Unable to handle kernel NULL pointer dereference at virtual address ', 'NULL deref at '),
         (r'^Unable to handle kernel paging request at virtual address ', 'page fault at '),
         (r'^Kernel panic - not syncing: ', 'panic: '))


def short_panic(text):
    for pat, rep in SHORT:
        text = re.sub(pat, rep, text)
    return text


def row(r, cols, wide=False):
    cut = (lambda s, n: s) if wide else (lambda s, n: s if len(s) <= n else s[:n - 1] + '~')
    verdict = r.get('verdict') if r.get('status') == 'ok' else r.get('status')
    panic = r.get('panic') or ('' if r.get('status') == 'ok' else r.get('reason')) or '-'
    if not wide and r.get('panic'):
        panic = short_panic(panic)
    nic = r.get('netdev') or '-'
    if r.get('driver'):
        nic += ' (%s)' % r['driver']
    score = r.get('score')
    cells = {'dump': cut(r['id'], 36), 'host': r.get('origin') or '-', 'kernel': r.get('kernel') or '-',
             'panic': cut(panic, 80), 'verdict': verdict or '-', 'score': '-' if score is None else str(score),
             'netdev': nic, 'top flow': cut(top_flow(r), 44) or '-', 'time': '%.0fs' % (r.get('seconds') or 0)}
    return [cells[c] for c in cols]


def print_table(results, fp=sys.stdout):
    cols = columns(results)
    rows = [list(cols)] + [row(r, cols) for r in results]
    width = [max(len(x[i]) for x in rows) for i in range(len(cols))]
    for i, x in enumerate(rows):
        mark = ' ' if i == 0 or not results[i - 1].get('flagged') else '!'
        print((' ' if i == 0 else mark) + ' ' + '  '.join(c.ljust(width[j]) for j, c in enumerate(x)).rstrip(),
              file=fp)


def pstore_label(ps):
    """" (pstore dmesg-ramoops, Oops#1 Part1)" for a pstore record, else ""."""
    if not isinstance(ps, dict):
        return ''
    label = ' (pstore %s%s' % (ps.get('type'), '-' + ps['backend'] if ps.get('backend') else '')
    if ps.get('reason'):
        label += ', %s#%s Part%s' % (ps['reason'], ps.get('count'), ps.get('part'))
    return label + ')'


def print_report(ordered, summ, out, fp=sys.stdout):
    """The table, what the logs show, the skipped files in short, the cross-dump groups,
    the totals."""
    shown = report_order(ordered)
    print_table(shown, fp)
    logs = [r for r in shown if r.get('findings')]
    if logs:
        print('\nin the logs:', file=fp)
        for r in logs:
            print('  %s%s:' % (r['id'], pstore_label(r.get('pstore'))), file=fp)
            for f in r['findings']:
                print('    %s' % f, file=fp)
    skipped = {}
    for r in ordered:
        if r.get('status') == 'skipped':
            skipped.setdefault(r.get('reason'), []).append(r['path'])
    if skipped:
        n = sum(len(v) for v in skipped.values())
        print('\n%d file%s skipped (not dumps or logs; all in summary.json):' % (n, '' if n == 1 else 's'), file=fp)
        for why, paths in sorted(skipped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print('  %s: %s%s' % (why, ', '.join(paths[:3]), ' and %d more' % (len(paths) - 3) if len(paths) > 3
                                  else ''), file=fp)
    if summ['by_nic'] or summ['recurring_flows']:
        print('\nacross dumps (flagged inputs):', file=fp)
        for k, v in sorted(summ['by_nic'].items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print('  NIC %s: %d' % (k, len(v)), file=fp)
        for k, v in sorted(summ['by_driver_kernel'].items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print('  driver %s: %d' % (k, len(v)), file=fp)
        for k, v in sorted(summ['recurring_flows'].items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print('  flow %s: in %d dumps' % (k, len(v)), file=fp)
    print('\n%d inputs, %d flagged; results in %s/' % (len(ordered), len(summ['flagged']), out.rstrip('/')), file=fp)


def groups(results):
    """Cross-dump view: flagged inputs by suspected NIC (driver, netdev), by driver and
    kernel, and flows seen in more than one flagged dump."""
    by_nic, by_driver, by_flow = {}, {}, {}
    for r in results:
        if not r.get('flagged'):
            continue
        nic = '%s %s' % (r.get('driver') or '?', r.get('netdev') or '?')
        by_nic.setdefault(nic, []).append(r['id'])
        by_driver.setdefault('%s on %s' % (r.get('driver') or '?', r.get('kernel') or '?'), []).append(r['id'])
        for f in (r.get('flows') or [])[:8]:
            ids = by_flow.setdefault(re.sub(r' \(\d+\)$', '', str(f)), [])
            if r['id'] not in ids:
                ids.append(r['id'])
    return by_nic, by_driver, {k: v for k, v in by_flow.items() if len(v) > 1}


SUMMARY_KEYS = ('id', 'path', 'origin', 'kind', 'status', 'reason', 'kernel', 'host', 'panic', 'verdict', 'score',
                'netdev', 'driver', 'ring', 'flows', 'flagged', 'seconds', 'vmlinux', 'pcap', 'arch', 'pstore',
                'findings')


def summary(results, extra):
    """summary.json: counts per verdict/status, the flagged ids, the cross-dump groups, and
    per input the facts of SUMMARY_KEYS.  extra: run facts (jobs, timeout, wall time ...)."""
    by_nic, by_driver, by_flow = groups(results)
    count = {}
    for r in results:
        key = r.get('verdict') if r.get('status') == 'ok' else r.get('status')
        count[key] = count.get(key, 0) + 1
    s = {'tool': 'dmasleuth-triage', 'version': VERSION, 'inputs': len(results), 'counts': count,
         'flagged': [r['id'] for r in results if r.get('flagged')],
         'by_nic': by_nic, 'by_driver_kernel': by_driver, 'recurring_flows': by_flow}
    s.update(extra)
    s['results'] = [{k: r.get(k) for k in SUMMARY_KEYS if k in r or k not in ('origin',)} for r in results]
    return s


# ---------------------------------------------------------------- memory map
#
# Where the frames were carved (dmaf -j's memmap: per cell, frames per owner class, the
# classes decided in lib/memmap.c), coloured by what the owner means for the verdict: red
# hues hold no packets legitimately, green ones do, grey is free memory.
OWNER_STYLE = [  # class, colour, label
    ('foreign-live', '#d62728', 'live object of a cache that never holds packets'),
    ('foreign-other', '#ff9896', 'free/unknown object of such a cache'),
    ('pgtable', '#9467bd', 'page table'),
    ('packet', '#2ca02c', 'packet buffer (kmalloc, skbuff, page_pool, page frag)'),
    ('free', '#c7c7c7', 'free page (buddy)'),
    ('user', '#1f77b4', 'user or page-cache page'),
    ('kernel_image', '#8c564b', 'kernel image'),
    ('other', '#e377c2', 'other / unknown'),
]
COLOUR = {k: c for k, c, _ in OWNER_STYLE}
PRIORITY = {k: i for i, (k, _, _) in enumerate(OWNER_STYLE)}


def memmap_cells(m):
    """{cell index: {class: frames}} from a memmap, ignoring malformed rows."""
    classes = [c if c in PRIORITY else 'other' for c in m.get('classes') or []]
    cells = {}
    for rowv in m.get('cells') or []:
        if not isinstance(rowv, list) or not rowv or not isinstance(rowv[0], int):
            continue
        c = {}
        for k, n in zip(classes, rowv[1:]):
            if isinstance(n, int) and n > 0:
                c[k] = c.get(k, 0) + n
        if c:
            cells[rowv[0]] = c
    return cells


def hexnum(v):
    try:
        return int(v, 16) if isinstance(v, str) else int(v) if isinstance(v, int) else None
    except ValueError:
        return None


def evidence_paddrs(r):
    """Physical addresses the evidence names (direct-map addresses less the direct map's
    base; other kernel addresses are not placed)."""
    m = r.get('memmap') or {}
    base, end = hexnum(m.get('direct_map')), hexnum(m.get('end')) or 0
    out = []
    for e in r.get('evidence') or []:
        a = hexnum(e.get('address')) if isinstance(e, dict) else None
        if a is None:
            continue
        if a >= 1 << 63:
            if base is None or a < base or a - base >= end:
                continue
            a -= base
        out.append((e.get('n'), a))
    return out


def memory_map_svg(r, cols=64):
    """Physical memory as a grid of cells (a power-of-two number of MiB each), every cell
    coloured by the most telling owner of the frames carved in it; black squares mark the
    addresses the evidence names."""
    m = r.get('memmap') or {}
    cells = memmap_cells(m)
    cell, end = m.get('cell'), hexnum(m.get('end'))
    if not cells or not isinstance(cell, int) or cell <= 0 or not end:
        return '<p class="muted">no frames carved</p>'
    ncell = min((end + cell - 1) // cell, 4096)
    rows = (ncell + cols - 1) // cols
    sz, pad = 13, 34
    e = html.escape
    parts = ['<svg class="memmap" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
             'aria-label="physical memory map of %s">' % (pad + cols * sz + 4, rows * sz + 4, pad + cols * sz + 4,
                                                          rows * sz + 4, e(r['id']))]
    for y in range(rows):
        start = y * cols * cell
        label = '%dG' % (start >> 30) if start and not start % (1 << 30) else '%dM' % (start >> 20)
        parts.append('<text x="%d" y="%d" class="addr">%s</text>' % (pad - 3, y * sz + sz - 2, label))
    for i in range(ncell):
        x, y = pad + (i % cols) * sz, (i // cols) * sz
        c = cells.get(i)
        if c:
            k = min(c, key=lambda key: PRIORITY[key])
            tip = '%#x-%#x: %s' % (i * cell, (i + 1) * cell - 1, ', '.join(
                '%d %s' % (n, key) for key, n in sorted(c.items(), key=lambda kv: PRIORITY[kv[0]])))
            parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s</title></rect>'
                         % (x, y, sz - 1, sz - 1, COLOUR[k], e(tip)))
        else:
            parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#f2f2f2"/>' % (x, y, sz - 1, sz - 1))
    for n, a in evidence_paddrs(r):
        i = a // cell
        if i < ncell:
            x, y = pad + (i % cols) * sz, (i // cols) * sz
            parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#000" stroke-width="2">'
                         '<title>evidence %s: %#x</title></rect>' % (x - 1, y - 1, sz + 1, sz + 1, e(str(n)), a))
    parts.append('</svg>')
    used = sorted({min(c, key=lambda key: PRIORITY[key]) for c in cells.values()}, key=lambda k: PRIORITY[k])
    legend = ''.join('<span class="key"><i style="background:%s"></i>%s</span>' % (COLOUR[k], e(lbl))
                     for k, _, lbl in OWNER_STYLE if k in used)
    return ('%s<div class="legend">one cell = %d MiB of physical memory (0 to %#x), coloured by the owner of '
            'the frames carved there; black squares: addresses named by the evidence. %s</div>'
            % (''.join(parts), cell >> 20, end, legend))


CSS = '''
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;text-align:left;vertical-align:top}
th{background:#f4f4f4;cursor:pointer}
tr.flag td{background:#fde0e0}tr.bad td{background:#fff6d8}
.muted{color:#777}.legend{font-size:12px;margin:.3em 0 1em}
.key{margin-left:1em;white-space:nowrap}.key i{display:inline-block;width:10px;height:10px;margin-right:4px}
.memmap .addr{font-size:8px;text-anchor:end;fill:#777}
details summary{cursor:pointer;font-size:18px;margin-top:1.6em}
code{font-size:12px}.ev td:nth-child(5){max-width:60em}
'''

SCRIPT = '''
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var tb = th.closest('table').tBodies[0];
    var rows = Array.prototype.slice.call(tb.rows);
    var dir = th.dataset.dir === 'asc' ? -1 : 1;
    th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      if (!isNaN(nx) && !isNaN(ny)) return (nx - ny) * dir;
      return x.localeCompare(y) * dir;
    });
    rows.forEach(function (r) { tb.appendChild(r); });
  });
});
'''


FACT_KEYS = ('status', 'verdict', 'score', 'netdev', 'driver', 'ring', 'kernel', 'arch', 'origin', 'host', 'panic',
             'reason', 'crash_panic', 'vmlinux', 'pcap')
FACT_LABEL = {'origin': 'triaged on', 'host': 'nodename', 'crash_panic': "crash's PANIC"}


def write_html(path, results, summ, mode=None):
    """The report: a sortable table (flagged rows first, red; failed ones yellow), the
    cross-dump groups, a section per input with its facts, flows, evidence, log signatures
    and memory map; skipped inputs in a collapsed section at the end."""
    e = html.escape
    flagged = summ['flagged']
    shown = report_order(results)
    cols = columns(results)
    parts = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width">',
             '<title>dmasleuth triage: %d inputs, %d flagged</title><style>%s</style></head><body>'
             % (len(results), len(flagged), CSS),
             '<h1>dmasleuth triage</h1><p>%d inputs, <b>%d flagged</b> (%s); written %s.</p>'
             % (len(results), len(flagged),
                e(', '.join('%d %s' % (n, k) for k, n in sorted(summ['counts'].items(), key=str))),
                e(datetime.datetime.now().isoformat(timespec='seconds')))]
    if summ.get('not_done'):
        parts.append('<p><b>%d inputs not done</b>: %s</p>' % (len(summ['not_done']), e('; '.join(
            '%s: %s' % (k, v) for k, v in sorted(summ['not_done_reasons'].items())))))
    parts.append('<table id="summary" class="sortable"><thead><tr>%s</tr></thead><tbody>'
                 % ''.join('<th>%s</th>' % e(c) for c in cols))
    for r in shown:
        cls = 'flag' if r.get('flagged') else 'bad' if r.get('status') in FAILED else ''
        cells = row(r, cols, wide=True)
        cells[0] = '<a href="#%s">%s</a>' % (e(r['id']), e(cells[0]))
        parts.append('<tr class="%s">%s</tr>' % (cls, ''.join(
            '<td>%s</td>' % (c if i == 0 else e(c)) for i, c in enumerate(cells))))
    parts.append('</tbody></table>')
    parts.append('<h2 id="across">Across dumps</h2>')
    if summ['by_nic'] or summ['recurring_flows']:
        parts.append('<ul>')
        for title, grp in (('NIC', summ['by_nic']), ('driver on kernel', summ['by_driver_kernel']),
                           ('flow', summ['recurring_flows'])):
            for k, v in sorted(grp.items(), key=lambda kv: (-len(kv[1]), kv[0])):
                parts.append('<li>%s <b>%s</b>: %d flagged input%s (%s)</li>' % (
                    e(title), e(k), len(v), '' if len(v) == 1 else 's',
                    ', '.join('<a href="#%s">%s</a>' % (e(i), e(i)) for i in v)))
        parts.append('</ul>')
    else:
        parts.append('<p class="muted">nothing flagged</p>')
    for r in shown:
        parts.append('<h2 id="%s">%s%s</h2>' % (e(r['id']), e(r['id']), ' &#9888;' if r.get('flagged') else ''))
        parts.append('<p class="muted"><code>%s</code> (%s)</p>' % (e(r['path']), e(r.get('kind') or 'unknown')))
        facts = [(k, r.get(k)) for k in FACT_KEYS if r.get(k) not in (None, '', [])
                 and not (k == 'crash_panic' and r.get(k) == r.get('panic'))
                 and not (k == 'ring' and not (isinstance(r[k], int) and r[k] >= 0))]  # -1: unknown
        if r.get('pstore'):
            facts.append(('pstore', pstore_label(r['pstore']).strip(' ()')))
        parts.append('<table class="facts">%s</table>' % ''.join(
            '<tr><th>%s</th><td>%s</td></tr>' % (e(FACT_LABEL.get(k, k)), e(str(v))) for k, v in facts))
        if r.get('flows'):
            parts.append('<p>flows: %s</p>' % e('; '.join(map(str, r['flows']))))
        if r.get('findings'):
            parts.append('<p>in the log:</p><ul>%s</ul>' % ''.join(
                '<li>%s</li>' % e(str(f)) for f in r['findings']))
        ev = r.get('evidence') or []
        if ev:
            parts.append('<table class="ev"><tr><th>n</th><th>kind</th><th>weight</th><th>address</th>'
                         '<th>evidence</th></tr>%s</table>' % ''.join(
                             '<tr><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td><td>%s</td></tr>'
                             % tuple(e(str(x.get(k) if x.get(k) is not None else '-'))
                                     for k in ('n', 'kind', 'weight', 'address', 'text'))
                             for x in ev if isinstance(x, dict)))
        if r.get('notes'):
            parts.append('<p>notes:</p><ul>%s</ul>' % ''.join('<li>%s</li>' % e(str(n)) for n in r['notes'][:20]))
        sigs = r.get('log_signatures') or []
        if sigs:
            parts.append('<p>log signatures:</p><ul>%s</ul>' % ''.join(
                '<li><code>%s</code> %s<br><span class="muted">%s</span></li>'
                % (e(s.get('kind', '')), e(s.get('line', '')[:300]), e(s.get('meaning', '')))
                for s in sigs[:20]))
        if r.get('status') == 'ok' and r.get('kind') in DUMP_KINDS:
            parts.append('<p>where the frames were found:</p>' + memory_map_svg(r))
    skipped = [r for r in results if r.get('status') == 'skipped']
    if skipped:
        parts.append('<details id="skipped"><summary>Skipped: %d input%s that are neither dumps nor logs'
                     '</summary><ul>%s</ul></details>' % (len(skipped), '' if len(skipped) == 1 else 's', ''.join(
                         '<li id="%s"><code>%s</code>: %s</li>' % (e(r['id']), e(r['path']), e(r.get('reason') or ''))
                         for r in skipped)))
    parts.append('<script>%s</script></body></html>\n' % SCRIPT)
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    if mode is not None:
        os.fchmod(fd, mode)
    with os.fdopen(fd, 'w', encoding='utf-8') as fp:
        fp.write('\n'.join(parts))
    os.replace(tmp, path)
