#!/usr/bin/env python3
"""SIGKILL the writers at random moments and check that every resume ends bit-identical.

Three scenarios, each against an uninterrupted reference run made first:

  prepare  `TrainNvidia --prepare-only` on a real-sized recording (2 laps of lake, ~2,300 rows,
           ~14,000 images): killed, rerun (it resumes the store), killed again..., then run to the
           end. The finished store must hold exactly the reference's datasets and attributes.
  train    `TrainNvidia --resume` on a small store, with a checkpoint after every epoch: killed
           and resumed the same way. The final model.h5 must hold exactly the reference's weights,
           optimizer state and model config, and print the same weights fingerprint.
  save     `Bench save`, which writes model.h5 and a training checkpoint over and over (each to a
           temporary file renamed over the last): killed at a random moment, both files must
           still open and hold exactly the reference's contents.

Half of the kills (every other one) happen while two busy processes load both cores. Every
process must end by the harness's own SIGKILL or exit 0: any other signal, exit status or a hang
(timeout) is a failure. Digests are made with h5py, independently of the code under test.

    Scripts/kill-harness.py --kills 220 --python .venv-keras/bin/python --report kill-report.json
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DIGEST = r"""
import hashlib, json, sys
import h5py, numpy as np
path, with_attrs = sys.argv[1], sys.argv[2] == "1"
skip = set(sys.argv[3].split(",")) if len(sys.argv) > 3 and sys.argv[3] else set()
h = hashlib.sha256()
def attrs(name, obj):
    for key in sorted(obj.attrs):
        if key in skip: continue
        value = np.asarray(obj.attrs[key])
        h.update(f"{name}@{key}:{value.dtype.str}:{value.shape}=".encode())
        if value.dtype.kind == "O":  # variable-length strings: their text, not object pointers
            for item in value.reshape(-1):
                h.update(item.encode() if isinstance(item, str) else bytes(item))
                h.update(b"\0")
        else:
            h.update(value.tobytes())
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        data = obj[()]
        h.update(f"{name}:{obj.dtype.str}:{obj.shape}:{obj.chunks}".encode())
        h.update(np.ascontiguousarray(data).tobytes())
    if with_attrs: attrs(name, obj)
with h5py.File(path, "r") as f:
    if with_attrs: attrs("/", f)
    f.visititems(visit)
print(h.hexdigest())
"""


class Harness:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="bc-kill."))
        os.makedirs(self.work, exist_ok=True)
        self.rng = random.Random(args.seed)
        self.kill_index = 0
        self.load = []
        self.results = {}
        self.failures = []

    # -- processes ---------------------------------------------------------------------------
    def start_load(self):
        code = "import time\nend = time.time() + 3600\nwhile time.time() < end: pass\n"
        self.load = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]

    def stop_load(self):
        for p in self.load:
            p.kill()
            p.wait()
        self.load = []

    def run(self, argv, log, timeout):
        """Runs to the end; returns (seconds, output). Anything but exit 0 is a failure."""
        t0 = time.time()
        with open(log, "ab") as out:
            try:
                p = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired:
                self.fail(f"timeout ({timeout:.0f} s): {' '.join(argv)}")
                return time.time() - t0
        if p.returncode != 0:
            self.fail(f"exit {p.returncode} (log {log}): {' '.join(argv)}")
        return time.time() - t0

    def run_killed(self, argv, log, delay, timeout, ready=None):
        """Starts argv, SIGKILLs it `delay` seconds after start (after `ready` appears in its output
        when given). Returns True when the kill landed, False when it finished first."""
        loaded = self.kill_index % 2 == 1
        self.kill_index += 1
        if loaded:
            self.start_load()
        try:
            with open(log, "ab") as out:
                p = subprocess.Popen(argv, stdout=subprocess.PIPE if ready else out, stderr=out)
                deadline = time.time() + timeout
                if ready:
                    seen = b""
                    while ready.encode() not in seen and p.poll() is None and time.time() < deadline:
                        seen += p.stdout.readline()
                    # keep draining in the background is unnecessary: the child writes little
                time.sleep(delay)
                killed = p.poll() is None
                if killed:
                    p.send_signal(signal.SIGKILL)
                try:
                    code = p.wait(timeout=max(1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    self.fail(f"hang: {' '.join(argv)}")
                    return False
        finally:
            if loaded:
                self.stop_load()
        if killed and code != -signal.SIGKILL:
            self.fail(f"died by {code} before the harness's kill: {' '.join(argv)} (log {log})")
        if not killed and code != 0:
            self.fail(f"exit {code} (log {log}): {' '.join(argv)}")
        return killed and code == -signal.SIGKILL

    def digest(self, path, with_attrs=True, skip=()):
        out = subprocess.run(
            [self.args.python, "-c", DIGEST, path, "1" if with_attrs else "0", ",".join(skip)],
            capture_output=True, text=True)
        if out.returncode != 0:
            return "unreadable: " + out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "unreadable"
        return out.stdout.strip()

    def fail(self, message):
        print("FAIL " + message, flush=True)
        self.failures.append(message)

    # -- scenarios -----------------------------------------------------------------------------
    def chains(self, name, kills, reference_seconds, attempt, finish, compare, per_chain=(1, 4)):
        """Kill-and-rerun chains until `kills` kills landed; each chain ends with a run to the end
        and a comparison with the reference."""
        stats = {"kills": 0, "loaded_kills": 0, "resumes": 0, "chains": 0, "identical": 0, "different": 0,
                 "finished_before_kill": 0}
        chain = 0
        while stats["kills"] < kills:
            chain += 1
            landed_here = 0
            target = self.rng.randint(*per_chain)
            while landed_here < target and stats["kills"] < kills:
                loaded = self.kill_index % 2 == 1
                delay = self.rng.uniform(0.0, reference_seconds)
                if attempt(chain, delay):
                    landed_here += 1
                    stats["kills"] += 1
                    stats["loaded_kills"] += int(loaded)
                else:
                    # It ran to the end: later runs of this chain would only find the work done.
                    stats["finished_before_kill"] += 1
                    break
            stats["resumes"] += landed_here
            finish(chain)
            stats["chains"] += 1
            same, detail = compare(chain)
            stats["identical" if same else "different"] += 1
            if not same:
                self.fail(f"{name} chain {chain}: differs from the reference ({detail})")
            print(f"{name}: chain {chain}: {landed_here} kills, {'identical' if same else 'DIFFERENT'} "
                  f"({stats['kills']}/{kills} kills)", flush=True)
        self.results[name] = stats

    def prepare(self, kills):
        data = os.path.join(self.work, "prepare-data")
        if not os.path.isdir(data):
            self.run([f"{self.bin}/Simulate", "record", "--track", "lake", "--laps", "1", "--seed", "1",
                      "--output", f"{data}/lake"], f"{self.work}/record.log", 600)
            self.run([f"{self.bin}/Simulate", "record", "--track", "lake", "--laps", "1", "--seed", "1001",
                      "--recoveries", "--noise", "0.05", "--output", f"{data}/recovery"],
                     f"{self.work}/record.log", 600)
        common = ["--data", f"{data}/lake", "--data", f"{data}/recovery", "--prepare-only", "--seed", "1"]
        ref = f"{self.work}/prepare-ref.h5"
        seconds = self.run([f"{self.bin}/TrainNvidia", *common, "--store", ref], f"{self.work}/prepare-ref.log", 900)
        want = self.digest(ref)
        print(f"prepare: reference in {seconds:.1f} s, digest {want[:16]}", flush=True)
        store = lambda c: f"{self.work}/prepare-{c}.h5"
        argv = lambda c: [f"{self.bin}/TrainNvidia", *common, "--store", store(c)]
        log = lambda c: f"{self.work}/prepare-{c}.log"

        def finish(c):
            self.run(argv(c), log(c), 20 * seconds + 60)

        def compare(c):
            got = self.digest(store(c))
            with open(log(c), "rb") as f:
                text = f.read().decode(errors="replace")
            self.results.setdefault("prepare_openings", {"resuming": 0, "rebuilding": 0, "creating": 0})
            for word in ("resuming", "rebuilding", "creating"):
                self.results["prepare_openings"][word] += text.count(word + " ")
            ok = got == want
            if ok:
                os.remove(store(c))
            return ok, got[:16]

        self.chains("prepare", kills, seconds * 1.2,
                    lambda c, d: self.run_killed(argv(c), log(c), d, 20 * seconds + 60), finish, compare)

    def train(self, kills):
        data = os.path.join(self.work, "train-data")
        if not os.path.isdir(data):
            self.run([f"{self.bin}/Simulate", "record", "--track", "lake", "--laps", "1", "--max-rows", "160",
                      "--seed", "5", "--output", data], f"{self.work}/record.log", 600)
        store = f"{self.work}/train.h5"
        common = ["--data", data, "--store", store, "--epochs", "4", "--patience", "0", "--seed", "5"]
        self.run([f"{self.bin}/TrainNvidia", *common, "--prepare-only"], f"{self.work}/train-prep.log", 600)
        ref = f"{self.work}/train-ref.h5"
        seconds = self.run([f"{self.bin}/TrainNvidia", *common, "--output", ref], f"{self.work}/train-ref.log", 900)
        # Weights, optimizer state and config must match; the training record holds wall-clock times.
        want = self.digest(ref, with_attrs=False)
        fingerprint = lambda log: [l for l in open(log, errors="replace") if "weights fingerprint" in l][-1:]
        want_fp = fingerprint(f"{self.work}/train-ref.log")
        print(f"train: reference in {seconds:.1f} s, digest {want[:16]}, {want_fp}", flush=True)
        out = lambda c: f"{self.work}/train-{c}.h5"
        argv = lambda c: [f"{self.bin}/TrainNvidia", *common, "--output", out(c), "--resume"]
        log = lambda c: f"{self.work}/train-{c}.log"

        def finish(c):
            open(log(c) + ".final", "w").close()
            self.run(argv(c), log(c) + ".final", 20 * seconds + 60)

        def compare(c):
            got = self.digest(out(c), with_attrs=False)
            config_same = self.config(out(c)) == self.config(ref)
            fp = fingerprint(log(c) + ".final")
            ok = got == want and fp == want_fp and config_same
            if ok:
                for suffix in ("", ".checkpoint.h5"):
                    if os.path.exists(out(c) + suffix):
                        os.remove(out(c) + suffix)
            return ok, f"{got[:16]} {fp} config {'same' if config_same else 'different'}"

        self.chains("train", kills, seconds * 1.1,
                    lambda c, d: self.run_killed(argv(c), log(c), d, 20 * seconds + 60), finish, compare)

    def config(self, path):
        code = "import h5py,sys\nf=h5py.File(sys.argv[1],'r')\nprint(f.attrs['model_config'])"
        return subprocess.run([self.args.python, "-c", code, path], capture_output=True, text=True).stdout

    def save(self, kills):
        ref_model, ref_ckpt = f"{self.work}/save-ref.h5", f"{self.work}/save-ref.checkpoint.h5"
        self.run([f"{self.bin}/Bench", "save", "--output", ref_model, "--checkpoint", ref_ckpt, "--seconds", "0.3"],
                 f"{self.work}/save-ref.log", 300)
        want = (self.digest(ref_model), self.digest(ref_ckpt))
        print(f"save: reference digests {want[0][:16]} {want[1][:16]}", flush=True)
        model, ckpt = f"{self.work}/save.h5", f"{self.work}/save.checkpoint.h5"
        argv = [f"{self.bin}/Bench", "save", "--output", model, "--checkpoint", ckpt, "--seconds", "60"]
        log = f"{self.work}/save.log"
        stats = {"kills": 0, "loaded_kills": 0, "identical": 0, "different": 0}
        while stats["kills"] < kills:
            loaded = self.kill_index % 2 == 1
            # Both files exist once "saved 2" is printed; then kill within the next ~40 saves.
            if not self.run_killed(argv, log, self.rng.uniform(0.0, 0.5), 120, ready="saved 2"):
                continue
            stats["kills"] += 1
            stats["loaded_kills"] += int(loaded)
            got = (self.digest(model), self.digest(ckpt))
            if got == want:
                stats["identical"] += 1
            else:
                stats["different"] += 1
                self.fail(f"save kill {stats['kills']}: {got[0][:16]} {got[1][:16]}")
        print(f"save: {stats['kills']} kills, {stats['identical']} identical", flush=True)
        self.results["save"] = stats


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=220, help="total kills, split 35/40/25 prepare/train/save")
    parser.add_argument("--scenarios", default="prepare,train,save")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bin", default="bin")
    parser.add_argument("--python", default=".venv-keras/bin/python", help="a Python with h5py")
    parser.add_argument("--work", help="work folder (default: a new temporary one, removed on success)")
    parser.add_argument("--report", help="write the counts as JSON here")
    args = parser.parse_args()
    h = Harness(args)
    print(f"kill harness: work folder {h.work}", flush=True)
    share = {"prepare": 0.35, "train": 0.4, "save": 0.25}
    started = time.time()
    try:
        for name in args.scenarios.split(","):
            # One scenario alone gets all the kills (to add to an earlier run's counts).
            alone = len(args.scenarios.split(",")) == 1
            getattr(h, name)(args.kills if alone else max(1, round(args.kills * share[name])))
    finally:
        h.stop_load()
    h.results["seconds"] = round(time.time() - started)
    h.results["failures"] = h.failures
    text = json.dumps(h.results, indent=2)
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    total = sum(v.get("kills", 0) for v in h.results.values() if isinstance(v, dict))
    print(f"kill harness: {total} kills, {len(h.failures)} failures")
    if h.failures:
        sys.exit(1)
    if not args.work:
        shutil.rmtree(h.work, ignore_errors=True)


if __name__ == "__main__":
    main()
