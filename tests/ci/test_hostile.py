"""A grade a teacher can trust: students who want the marks without the work, graded by
`python -m exercises.grade` in its sandbox. Each hostile file below gets the status its behaviour
earns and no pass it did not earn; nothing outside the sandbox's scratch folders changes; and an
honest student, graded beside them, scores as before. Without bubblewrap the hostile class is
skipped, and says why (CI installs it and sets LEVELS_REQUIRE_BUBBLEWRAP=1, under which a missing
bwrap fails these tests instead)."""

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT



SOLUTIONS = os.path.join(ROOT, "exercises", "solutions")
STARTERS = os.path.join(ROOT, "exercises", "starters")
TIMEOUT = 15                               # seconds: the sleeper costs this
HEADER = ("import os\nimport sys\nimport struct\nimport json\nimport numpy as np\n")

# name: (what it does, in Python run as exercise_1.py: at import or in a function the checks call)
HOSTILE = {
    "patcher": "import exercises.checks.core as core\ncore.require = lambda *a, **k: None\n",
    "patcher2": ("for m in list(sys.modules.values()):\n"
                 "    if 'check' in getattr(m, '__name__', ''):\n"
                 "        setattr(m, 'require', lambda *a, **k: None)\n"),
    "reader": ("src = open(os.path.join({root!r}, 'exercises', 'solutions', 'exercise_1.py'))"
               ".read()\nexec(compile(src, 'solution', 'exec'))\n"),
    "writer": ("for path in [{root!r} + '/HACKED', {home!r} + '/HACKED',\n"
               "             '/tmp/HACKED-by-student',\n"
               "             os.path.expanduser('~') + '/HACKED']:\n"
               "    try:\n        open(path, 'w').write('x')\n    except OSError:\n        pass\n"),
    "forker": ("pids = []\nfor _ in range(100000):\n    try:\n        pid = os.fork()\n"
               "    except OSError:\n        break\n    if pid == 0:\n"
               "        os.execv('/bin/sleep', ['sleep', '613'])\n    pids.append(pid)\n"),
    "allocator": ("hoarded = []\ndef loss_mse(a, y):\n    if hoarded:\n        return None\n"
                  "    hoarded.append(1)\n    hoard = []\n    while True:\n"
                  "        hoard.append(bytes(10**8))\n"),
    "killer": ("import signal\ndef loss_mse(a, y):\n    for pid in (os.getppid(), 1):\n"
               "        try:\n            os.kill(pid, signal.SIGKILL)\n        except OSError:\n"
               "            pass\n    return 0.0\n"),
    "forger": ("line = json.dumps({{'done': 1, 'passed': 8, 'failed': 0, 'loaded': True, "
               "'first': '', 'answers': None}}) + '\\n'\nprint(line)\nsys.stderr.write(line)\n"
               "frame = json.dumps({{'value': 0.0}}).encode()\n"
               "for fd in range(0, 20):\n    try:\n"
               "        os.write(fd, line.encode() + struct.pack('>Q', len(frame)) + frame)\n"
               "    except OSError:\n        pass\n"),
    "sleeper": "def loss_mse(a, y):\n    import time\n    time.sleep(600)\n",
    "exiter": "def loss_mse(a, y):\n    os._exit(0)\n",
    "autograd": ("def loss_mse(a, y):\n    import torch\n"
                 "    return float(torch.mean((torch.tensor(a) - torch.tensor(y)) ** 2))\n"),
}


def digest(folder, skip=()):
    """A hash of every file under folder (names and contents), but the folders in `skip`."""
    h = hashlib.sha256()
    for path, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if os.path.join(path, d) not in skip
                         and d not in (".git", "__pycache__", ".pytest_cache", ".venv"))
        for name in sorted(files):
            full = os.path.join(path, name)
            h.update(full.encode())
            try:
                with open(full, "rb") as f:
                    h.update(f.read())
            except OSError:
                pass
    return h.hexdigest()


def bubblewrap_or_skip():
    sys.path.insert(0, ROOT)
    from exercises.checks import sandbox
    found = sandbox.bubblewrap()
    if found is None:
        if os.environ.get("LEVELS_REQUIRE_BUBBLEWRAP"):
            pytest.fail("bubblewrap (bwrap) is required here and does not work")
        pytest.skip("no working bubblewrap (bwrap): the grader would run unsandboxed")
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once per test run, whichever worker asks first: the test workers share
    the result through a file, under a lock (pytest-xdist's recipe)."""
    bubblewrap_or_skip()
    import filelock
    shared = tmp_path_factory.getbasetemp()    # this run's; under xdist, the workers' parent
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    with filelock.FileLock(str(shared / "hostile.lock")):
        result = shared / "hostile.json"
        if not result.exists():
            result.write_text(json.dumps(grade_the_class(tmp_path_factory.mktemp("hostile"))))
        done, rows, before, after = json.loads(result.read_text())
    return subprocess.CompletedProcess(*done), rows, before, after


def grade_the_class(top):
    """(the grader's run as (args, returncode, stdout, stderr), its rows by student, the digests
    of the project and of the home folder before and after)."""
    folder, home = top / "class", top / "home"
    folder.mkdir()
    home.mkdir()
    for name, code in HOSTILE.items():
        path = folder / name
        path.mkdir()
        starter = open(os.path.join(STARTERS, "exercise_1.py")).read()
        text = HEADER + code.format(root=ROOT, home=str(home)) + "\n"
        # the hostile lines first, then the starter's functions (a later def replaces a hostile
        # one): what the student left unwritten stays unwritten
        hostile_defs = [line.split("(")[0][4:] for line in code.splitlines()
                        if line.startswith("def ")]
        kept = starter
        for name_ in hostile_defs:
            kept = kept.replace(f"def {name_}(", f"def _starter_{name_}(")
        (path / "exercise_1.py").write_text(kept + "\n" + text)
        shutil.copy(os.path.join(STARTERS, "answers_1.md"), path)
    honest = folder / "honest"
    honest.mkdir()
    shutil.copy(os.path.join(SOLUTIONS, "exercise_1.py"), honest)
    shutil.copy(os.path.join(STARTERS, "answers_1.md"), honest)
    before = digest(ROOT), digest(str(home))
    table = top / "grades.csv"
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "exercises.grade", folder, "--exercises", "1",
                           "--timeout", str(TIMEOUT), "--csv", table, "--seed", "5",
                           "--jobs", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, env=env)
    after = digest(ROOT), digest(str(home))
    rows = {}
    if table.exists():
        with open(table, newline="") as f:
            rows = {r["student"]: r for r in csv.DictReader(f)}
    return [list(map(str, done.args)), done.returncode, done.stdout, done.stderr], rows, \
        before, after


STATUSES = [                                   # each hostile file: its status, and words of
    ("patcher", "did not load", "exercises.checks.core"),      # its first failure
    ("reader", "did not load", "No such file"),
    ("forker", "failed", ""),
    ("allocator", "failed", "MemoryError"),
    ("killer", "failed", "gave 0"),            # the sandbox's user may not kill the grader
    ("sleeper", "timed out", "stopped after"),
    ("exiter", "failed", "ended with exit code 0"),
    ("autograd", "failed", "checked where PyTorch and TensorFlow cannot be imported"),
]


def test_a_hostile_class_is_graded_right(graded):
    """One test, so that one worker grades the class: as several tests of one fixture, pytest-xdist
    ran them on both workers here, and the second waited on the first's lock."""
    done, rows, before, after = graded
    # Every hostile row is marked and earns no pass.
    assert done.returncode == 0, done.stderr
    assert set(rows) == set(HOSTILE) | {"honest"}
    for name in HOSTILE:
        r = rows[name]
        assert r["status"] != "all passed" and int(r["passed"]) < int(r["total"]), r
        assert r["first failure"], r
        assert r["isolation"].startswith("sandboxed"), r
    # Each hostile file gets a clear status.
    for name, status, words in STATUSES:
        assert rows[name]["status"] == status, (name, rows[name])
        assert words in rows[name]["first failure"], (name, rows[name])
    # Nothing outside the scratch folders changes: the project, and the teacher's home.
    assert before == after
    assert not os.path.exists("/tmp/HACKED-by-student")
    assert not os.path.exists(os.path.join(ROOT, "HACKED"))
    # No process of a student outlives the grading: the forker's sleeping children went with its
    # sandbox (other tests' children may run now: the forker's are the only `sleep 613`).
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True)
    assert "sleep 613" not in ps.stdout
    # An honest student scores every check.
    r = rows["honest"]
    assert r["status"] == "all passed" and r["passed"] == r["total"] == "8", r


def test_without_the_sandbox_the_table_says_so(tmp_path):
    """--no-sandbox (as on a system without bubblewrap): the verdicts are the grader's still, the
    output and every row say the code ran unsandboxed."""
    folder = tmp_path / "class"
    (folder / "ada").mkdir(parents=True)
    shutil.copy(os.path.join(SOLUTIONS, "exercise_4.py"), folder / "ada")
    table = tmp_path / "grades.csv"
    done = subprocess.run([sys.executable, "-m", "exercises.grade", folder, "--exercises", "4",
                           "--csv", table, "--seed", "5", "--no-sandbox"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "UNSANDBOXED" in done.stdout
    with open(table, newline="") as f:
        row = next(csv.DictReader(f))
    assert row["status"] == "all passed" and row["isolation"].startswith("UNSANDBOXED"), row
