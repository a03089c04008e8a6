"""A single-node Slurm on this machine for tests: munged, slurmctld and slurmd with their
own key, sockets, state and ports under a temporary directory (127.0.0.1 only), no
cgroups (proctrack/linuxproc, task/none).

    s = SlurmLocal(work); s.start()   # s.env: the environment for sbatch/squeue
    s.stop()
SlurmLocal.available() says whether the Debian packages are installed.
"""
import os
import shutil
import signal
import socket
import subprocess
import time

DAEMONS = ('/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SlurmLocal:
    @staticmethod
    def available():
        missing = [d for d in DAEMONS if not os.access(d, os.X_OK)]
        missing += [c for c in ('sbatch', 'squeue', 'munge') if not shutil.which(c)]
        return missing

    def __init__(self, work):
        self.work = work
        for d in ('state', 'spool', 'log'):
            os.makedirs(os.path.join(work, d), exist_ok=True)
        self.conf = os.path.join(work, 'slurm.conf')
        self.sock = os.path.join(work, 'munge.sock')
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.pids = []

    def start(self):
        w = self.work
        key = os.path.join(w, 'munge.key')
        with open(key, 'wb') as fp:
            fp.write(os.urandom(1024))
        os.chmod(key, 0o600)
        subprocess.run(['/usr/sbin/munged', '-f', '--key-file=' + key, '--socket=' + self.sock,
                        '--log-file=' + os.path.join(w, 'log', 'munged.log'),
                        '--pid-file=' + os.path.join(w, 'munged.pid'),
                        '--seed-file=' + os.path.join(w, 'munged.seed')], check=True)
        self.pids.append(os.path.join(w, 'munged.pid'))
        host = socket.gethostname()
        conf = {
            'ClusterName': 'dmstest', 'SlurmctldHost': '%s(127.0.0.1)' % host,
            'SlurmctldPort': free_port(), 'SlurmdPort': free_port(), 'SlurmUser': 'root', 'SlurmdUser': 'root',
            'StateSaveLocation': os.path.join(w, 'state'), 'SlurmdSpoolDir': os.path.join(w, 'spool'),
            'SlurmctldPidFile': os.path.join(w, 'slurmctld.pid'), 'SlurmdPidFile': os.path.join(w, 'slurmd.pid'),
            'SlurmctldLogFile': os.path.join(w, 'log', 'slurmctld.log'),
            'SlurmdLogFile': os.path.join(w, 'log', 'slurmd.log'),
            'AuthType': 'auth/munge', 'AuthInfo': 'socket=' + self.sock, 'CredType': 'cred/munge',
            'ProctrackType': 'proctrack/linuxproc', 'TaskPlugin': 'task/none',
            'JobAcctGatherType': 'jobacct_gather/none', 'AccountingStorageType': 'accounting_storage/none',
            'SelectType': 'select/cons_tres', 'SelectTypeParameters': 'CR_Core', 'SchedulerType': 'sched/backfill',
            'ReturnToService': 2, 'MpiDefault': 'none', 'KillWait': 5,
        }
        with open(self.conf, 'w') as fp:
            for k, v in conf.items():
                fp.write('%s=%s\n' % (k, v))
            fp.write('NodeName=%s NodeAddr=127.0.0.1 CPUs=%d RealMemory=4000 State=UNKNOWN\n'
                     % (host, os.cpu_count() or 1))
            fp.write('PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n')
        subprocess.run(['/usr/sbin/slurmctld', '-c', '-f', self.conf], check=True, env=self.env)
        self.pids.append(conf['SlurmctldPidFile'])
        subprocess.run(['/usr/sbin/slurmd', '-f', self.conf], check=True, env=self.env)
        self.pids.append(conf['SlurmdPidFile'])
        deadline = time.time() + 60
        while time.time() < deadline:
            p = subprocess.run(['sinfo', '-h', '-o', '%t'], capture_output=True, text=True, env=self.env)
            if p.returncode == 0 and p.stdout.strip() in ('idle', 'mix', 'alloc'):
                return
            time.sleep(0.5)
        raise RuntimeError('slurm did not come up: %s' % self.log_tail())

    def log_tail(self):
        out = []
        for f in ('slurmctld.log', 'slurmd.log', 'munged.log'):
            try:
                with open(os.path.join(self.work, 'log', f)) as fp:
                    out.append('%s: %s' % (f, ' | '.join(fp.read().splitlines()[-3:])))
            except OSError:
                pass
        return '; '.join(out)

    def wait_jobs(self, timeout):
        """Wait until the queue is empty; False on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            p = subprocess.run(['squeue', '-h'], capture_output=True, text=True, env=self.env)
            if p.returncode == 0 and not p.stdout.strip():
                return True
            time.sleep(2)
        return False

    def stop(self):
        for pidfile in reversed(self.pids):
            try:
                with open(pidfile) as fp:
                    os.kill(int(fp.read().split()[0]), signal.SIGTERM)
            except (OSError, ValueError, IndexError):
                pass
        time.sleep(1)
