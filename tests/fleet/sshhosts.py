"""Test hosts on this machine: one sshd per host on a 127.0.0.1 port, each in its own
mount and UTS namespace (its own hostname; its own directories bound over shared paths,
so every host sees "its" /var/crash-like directory at the same path), keys generated at
test time.  Only 127.0.0.1 traffic.

    hosts = SshHosts(work, ['hostA', 'hostB'], binds={'/some/shared/path': 'crash'})
    hosts.start()          # hosts.ssh_config: ssh -F it, hosts named by their alias
    hosts.kill('hostB')    # the sshd and every session it started: the host "dies"
    hosts.start('hostB')   # back again
    hosts.stop()
"""
import os
import signal
import socket
import subprocess
import time

SSHD = '/usr/sbin/sshd'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SshHosts:
    def __init__(self, work, names, binds=None):
        """binds: {path every host sees: name of that host's own directory under
        WORK/<host>/} (the path must exist: it is the mount point)."""
        self.work, self.names, self.binds = work, list(names), dict(binds or {})
        self.procs, self.ports = {}, {}
        self.client = os.path.join(work, 'client')
        os.makedirs(self.client, exist_ok=True)
        self.key = os.path.join(self.client, 'id_ed25519')
        keygen(self.key)
        self.ssh_config = os.path.join(self.client, 'ssh_config')
        known, cfg = [], []
        for h in self.names:
            d = self.dir(h)
            os.makedirs(d, exist_ok=True)
            for sub in self.binds.values():
                os.makedirs(os.path.join(d, sub), exist_ok=True)
            keygen(os.path.join(d, 'ssh_host_ed25519_key'))
            self.ports[h] = free_port()
            with open(os.path.join(d, 'ssh_host_ed25519_key.pub')) as fp:
                known.append('%s %s' % (h, ' '.join(fp.read().split()[:2])))
            with open(os.path.join(d, 'sshd_config'), 'w') as fp:
                fp.write('\n'.join([
                    'Port %d' % self.ports[h], 'ListenAddress 127.0.0.1',
                    'HostKey %s' % os.path.join(d, 'ssh_host_ed25519_key'),
                    'PidFile %s' % os.path.join(d, 'sshd.pid'),
                    'AuthorizedKeysFile %s' % os.path.join(self.client, 'authorized_keys'),
                    'StrictModes no', 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
                    'KbdInteractiveAuthentication no', 'UsePAM no', 'PrintMotd no', 'UseDNS no',
                    'MaxStartups 100', 'MaxSessions 100', 'ClientAliveInterval 2', 'ClientAliveCountMax 3',
                    'Subsystem sftp internal-sftp', '']))
            cfg += ['Host %s' % h, '  HostName 127.0.0.1', '  Port %d' % self.ports[h], '  User %s' % user(),
                    '  HostKeyAlias %s' % h]
        cfg += ['Host *', '  IdentityFile %s' % self.key, '  IdentitiesOnly yes', '  BatchMode yes',
                '  StrictHostKeyChecking yes', '  UserKnownHostsFile %s' % os.path.join(self.client, 'known_hosts'),
                '  ConnectTimeout 5', '  ServerAliveInterval 2', '  ServerAliveCountMax 3', '  LogLevel ERROR', '']
        with open(self.ssh_config, 'w') as fp:
            fp.write('\n'.join(cfg))
        with open(os.path.join(self.client, 'known_hosts'), 'w') as fp:
            fp.write('\n'.join(known) + '\n')
        with open(self.key + '.pub') as fp, open(os.path.join(self.client, 'authorized_keys'), 'w') as out:
            out.write(fp.read())

    def dir(self, host):
        return os.path.join(self.work, host)

    def ssh(self):
        """The ssh command line for these hosts."""
        return 'ssh -F %s' % self.ssh_config

    def start(self, only=None):
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        for h in self.names if only is None else [only]:
            d = self.dir(h)
            mounts = ' && '.join('mount --bind %s %s' % (os.path.join(d, sub), path)
                                 for path, sub in self.binds.items())
            script = 'hostname %s && %s%sexec %s -D -e -f %s' % (
                h, mounts, ' && ' if mounts else '', SSHD, os.path.join(d, 'sshd_config'))
            log = open(os.path.join(d, 'sshd.log'), 'ab')
            self.procs[h] = subprocess.Popen(['unshare', '--mount', '--uts', '--fork', '--kill-child',
                                              'sh', '-c', script], stdout=log, stderr=log,
                                             start_new_session=True)
        for h in self.names if only is None else [only]:
            deadline = time.time() + 20
            while time.time() < deadline:
                try:
                    socket.create_connection(('127.0.0.1', self.ports[h]), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                with open(os.path.join(self.dir(h), 'sshd.log')) as fp:
                    raise RuntimeError('sshd for %s did not start: %s' % (h, fp.read()[-500:]))

    def kill(self, host):
        """The host dies: SIGKILL to its sshd and every process of its sessions."""
        # Sessions run in process groups of their own (sshd's children call setsid): find
        # them by this host's sshd_config on their ancestors' command lines, before the
        # master sshd dies and they are reparented.
        sessions = session_pids(os.path.join(self.dir(host), 'sshd_config'))
        p = self.procs.pop(host, None)
        if p:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        for pid in sessions:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self):
        for h in list(self.procs):
            self.kill(h)


def keygen(path):
    if not os.path.exists(path):
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path], check=True)


def user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def session_pids(marker):
    """Processes whose ancestor's command line names MARKER (the sessions a test sshd
    started, and theirs)."""
    parent, cmd = {}, {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % pid) as fp:
                parent[int(pid)] = int(fp.read().rsplit(')', 1)[1].split()[1])
            with open('/proc/%s/cmdline' % pid, 'rb') as fp:
                cmd[int(pid)] = fp.read().replace(b'\0', b' ').decode('utf-8', 'replace')
        except (OSError, ValueError, IndexError):
            continue
    out = []
    for pid in parent:
        p, n = pid, 0
        while p > 1 and n < 64:
            if marker in cmd.get(p, ''):
                out.append(pid)
                break
            p, n = parent.get(p, 0), n + 1
    return out
