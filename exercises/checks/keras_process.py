"""Keras code, checked in a process of its own: TensorFlow and PyTorch do not share one.

An exercise with Keras code declares, in its check module, the tasks the Keras process runs for
it (KERAS_TASKS, each a function of this process), the student's functions each task calls
(KERAS_NEEDS) and the inputs they share (keras_inputs(): a start, data, the settings). A job is
one exercise's tasks whose functions are all written, with its inputs, in a temporary folder; a
Keras process runs the jobs it is given one after the other and writes each one's results.json
into its folder, while the checks that need no Keras go on in the process that started it.
`python -m exercises.check` starts one Keras process per exercise; `python -m exercises.grade`
one per student, for all of that student's Keras exercises.

    python -m exercises.checks.keras_process N PATH FOLDER [N PATH FOLDER ...]

runs the jobs: exercise N's file at PATH, its inputs and results in FOLDER.
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import common
from exercises import checks
from exercises.checks.core import ROOT, Failure, NoFramework, describe_error, load_module, one_line

WAIT = 900           # seconds: a Keras process that takes longer is stopped (the checker's limit)
STARTED = "started"  # the file a Keras process writes into a job's folder as it starts the job


def prepare(ex):
    """A job for the Keras process: the tasks of ex's exercise whose functions are all written,
    and their inputs, in a new temporary folder (a tempfile.TemporaryDirectory; None if there
    is no such task). The caller removes the folder."""
    wanted = sorted(task for task, functions in ex.checks.KERAS_NEEDS.items()
                    if not any(f in ex.unwritten for f in functions))
    if not wanted:
        return None
    folder = tempfile.TemporaryDirectory(prefix="exercise-check-")
    data = ex.checks.keras_inputs()
    config = data.pop("config")
    np.savez(os.path.join(folder.name, "input.npz"),
             **{f"start_{k}": v for k, v in data.pop("start").items()}, **data)
    with open(os.path.join(folder.name, "config.json"), "w") as f:
        json.dump({"tasks": wanted, **config}, f)
    return folder


def launch(jobs):
    """Start one Keras process for the jobs [(exercise number, file path, folder)], which it
    runs in that order. Its error output goes to a file in the first job's folder."""
    arguments = [str(a) for job in jobs for a in job]
    errors = os.path.join(jobs[0][2], "stderr.txt")
    with open(errors, "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "exercises.checks.keras_process",
                                    *arguments], stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
    process.errors = errors
    return process


def start(ex):
    """The Keras job of ex's exercise: (process, folder), or None if it has no task to run. The
    grader's worker has started it already (ex.keras_jobs); else a process is started for it
    here, and ended and removed with ex.cleanup after the checks."""
    if ex.keras_jobs is not None:
        return ex.keras_jobs.get(ex.number)
    folder = prepare(ex)
    if folder is None:
        return None
    ex.cleanup.append(folder)
    process = launch([(ex.number, ex.path, folder.name)])
    ex.cleanup.append(process)
    return process, folder.name


def finish(ex, job):
    """Wait for a job's results: (results by task, its folder). A process that failed or ran
    too long gives {"*": {"error": ...}}, which every Keras check of the job reports."""
    if job is None:
        return {}, None
    process, folder = job
    path = os.path.join(folder, "results.json")
    started = os.path.join(folder, STARTED)
    if ex.on_hold and not os.path.exists(started):
        ex.on_hold(True)             # loading Keras, and the jobs before: not this exercise's time
        while process.poll() is None and not os.path.exists(started):
            time.sleep(0.02)
        ex.on_hold(False)
    deadline = time.monotonic() + WAIT
    while not os.path.exists(path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f), folder
    if process.poll() is None:
        process.kill()
        process.wait()
        return {"*": {"error": "the Keras process failed: it ran for more than 15 minutes and "
                               "was stopped"}}, folder
    last = last_error_line(process)
    return {"*": {"error": f"the Keras process failed: {one_line(last)}"}}, folder


def last_error_line(process):
    """The last line the Keras process wrote to its error output, or its exit code."""
    try:
        with open(process.errors, errors="replace") as f:
            lines = f.read().strip().splitlines()
    except OSError:
        lines = []
    return lines[-1] if lines else f"exit code {process.returncode}"


def result(ex, results, functions, task):
    """One task's result from the Keras process, or a Failure: not written, or its error."""
    unwritten = [f for f in functions if f in ex.unwritten]
    if unwritten:
        raise Failure("; ".join(f"`{f}` not written yet" for f in unwritten))
    for key in ("*", "load", task):
        if key in results and "error" in results[key]:
            raise Failure(results[key]["error"])
    if task not in results:
        raise Failure("the Keras process gave no result")
    return results[task]


def read_weights(folder, name):
    with np.load(os.path.join(folder, name)) as f:
        return {k: f[k] for k in common.PARAM_NAMES}


def save_weights(folder, name, weights):
    np.savez(os.path.join(folder, name), **{k: np.asarray(v) for k, v in weights.items()})


# ---------------------------------------------------------------------------------------------
# The Keras process itself
# ---------------------------------------------------------------------------------------------
def child(jobs):
    """Load Keras, then run each job: load the exercise file, run its tasks, write results.json
    (whole: a reader never sees half of it)."""
    advice = ("TensorFlow and PyTorch must not share a process: import torch inside the level 2 "
              "and 3 functions only, as the starter does")
    import machinery.quiet_tensorflow  # noqa: F401  (Keras and TensorFlow, without their log)
    import keras
    sys.meta_path.insert(0, NoFramework({"torch", "torchvision"}, advice))
    for done, (number, path, folder) in enumerate(jobs):
        with open(os.path.join(folder, STARTED), "w"):
            pass
        if done:
            keras.backend.clear_session()          # what one exercise built is gone
        keras.config.set_floatx("float64")
        results = run_job(keras, int(number), path, folder)
        with open(os.path.join(folder, "results.part"), "w") as f:
            json.dump(results, f)
        os.replace(os.path.join(folder, "results.part"), os.path.join(folder, "results.json"))
    return 0


def run_job(keras, number, path, folder):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    with np.load(os.path.join(folder, "input.npz")) as f:
        data = {k: f[k] for k in f.files}
    start = {k: data[f"start_{k}"] for k in common.PARAM_NAMES}
    tasks = importlib.import_module(checks.module_name(number)).KERAS_TASKS
    results = {}
    try:
        module = load_module(path, f"_exercise_{number}_in_keras")
    except (Exception, SystemExit) as e:
        results["load"] = {"error": f"{os.path.basename(path)} does not load where Keras runs: "
                                    f"{describe_error(e, path)}"}
        module = None
    for task in config["tasks"] if module else []:
        try:
            keras.utils.set_random_seed(0)
            results[task] = tasks[task](module, start, data, config, folder)
        except (Exception, SystemExit) as e:
            results[task] = {"error": describe_error(e, path)}
    return results


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or len(arguments) % 3:
        sys.exit("usage: python -m exercises.checks.keras_process N PATH FOLDER [N PATH "
                 "FOLDER ...]")
    sys.exit(child([arguments[i:i + 3] for i in range(0, len(arguments), 3)]))
