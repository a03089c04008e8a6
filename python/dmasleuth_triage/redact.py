"""--redact: the triage's outputs as shareable as its pcaps (docs/redaction.md).

The mapping itself is lib/redact.c's, the same for every tool: dmaf -R maps the verdict,
flows, evidence and frames inside crash; dmasleuth-logscan --redact maps the log lines it
prints and, with --text, any other text (paths, crash's PANIC string, reasons).  Text
is mapped once: what dmaf or logscan printed redacted is never mapped again."""
import os
import subprocess

from .paths import logscan_path

ENV = 'DMASLEUTH_REDACT_PASSPHRASE'


class Redactor:
    def __init__(self, spec):
        """spec: KEYFILE[,keep=N][,cut][,oui], pass:PHRASE or env:VAR.  A passphrase
        given on the command line goes to the crash sessions through the environment
        (a crash command line is split at blanks); a key file by its absolute path."""
        src, opts = spec, ''
        for o in reversed(spec.split(',')[1:]):
            if o in ('cut', 'oui') or o.startswith('keep='):
                src = src[:len(src) - len(o) - 1]
                opts = ',' + o + opts
            else:
                break
        if src.startswith('pass:'):
            os.environ[ENV] = src[5:]
            src = 'env:' + ENV
        elif not src.startswith('env:'):
            src = os.path.abspath(src)
        self.spec = src + opts
        self.tool = logscan_path()

    def check(self):
        """None, or why the spec cannot be used."""
        if not self.tool:
            return 'dmasleuth-logscan not found (make): it does the redaction'
        if ' ' in self.spec or '\t' in self.spec:
            return 'the key file path has blanks (crash would split it): %s' % self.spec
        p = subprocess.run([self.tool, '--redact', self.spec, '--text'], input='', capture_output=True,
                           text=True)
        return p.stderr.strip() or 'dmasleuth-logscan exit %d' % p.returncode if p.returncode else None

    def texts(self, items):
        """The texts, each with its addresses mapped (one dmasleuth-logscan run)."""
        items = [('' if t is None else str(t)).replace('\n', ' ') for t in items]
        if not items:
            return []
        p = subprocess.run([self.tool, '--redact', self.spec, '--text'], input='\n'.join(items) + '\n',
                           capture_output=True, text=True, errors='replace')
        out = p.stdout.split('\n')
        if p.returncode or len(out) < len(items):
            raise RuntimeError('redaction failed: %s' % p.stderr.strip()[:200])
        return out[:len(items)]

    def text(self, t):
        return self.texts([t])[0] if t else t


# Fields of a result that the triage writes itself (dmaf's and logscan's come redacted).
OWN_TEXT = ('path', 'id', 'crash_panic', 'reason', 'host', 'vmlinux')


def redact_result(rd, r):
    """The result with the triage's own text fields mapped."""
    keys = [k for k in OWN_TEXT if isinstance(r.get(k), str) and r[k]]
    extra = [x for x in r.get('crash_fallback') or [] if isinstance(x, str)]
    got = rd.texts([r[k] for k in keys] + extra)
    for k, v in zip(keys, got):
        r[k] = v
    if extra:
        r['crash_fallback'] = got[len(keys):]
    return r
