"""Runs every corpus file through every command that reads its kind, one process at a time.

    python Scripts/damage/run_corpus.py BIN_DIR SOURCES_DIR CORPUS_DIR RESULTS.jsonl [--limit N]
    python Scripts/damage/run_corpus.py --summary RESULTS.jsonl CORPUS_DIR

Commands: model files -> `Predict MODEL IMAGE` and `Drive MODEL --check`; checkpoints ->
`TrainNvidia --resume` (one finished epoch: resuming only restores and writes model.h5); stores ->
`TrainNvidia --prepare-only` (opening the store to reuse it). Each run is classified:
  correct  exit 0 and the same result as the undamaged file (predictions, loaded model, final
           weights fingerprint, store contents);
  error    exit 1 with a message (the kind of error is noted: crash or hang contained in the child,
           checksum mismatch, other);
  wrong    exit 0 with another result;  exit-N  any other status;  signal  killed by a signal;
  timeout  still running after --timeout seconds (then killed).
Runs go in a fixed shuffled order and results are appended as they finish, so an interrupted run
continues where it stopped and a partial result covers every source and damage kind.
"""
import argparse
import collections
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time

ENV = dict(os.environ, BC_ISOLATION_TIMEOUT="5")


def commands(bin_dir, sources_dir, scratch, source, path):
    """(command name, argv, setup) for a corpus file of `source`."""
    kind = source["kind"]
    rec = os.path.join(sources_dir, "recording")
    if kind == "model":
        image = os.path.join(sources_dir, source["image"])
        yield "Predict", [f"{bin_dir}/Predict", path, image] + source["args"], None
        yield "Drive", [f"{bin_dir}/Drive", path, "--check"] + source.get("drive_args", source["args"]), None
    elif kind == "checkpoint":
        ckpt = os.path.join(scratch, "checkpoint.h5")
        argv = [f"{bin_dir}/TrainNvidia", "--data", rec, "--store", os.path.join(scratch, "store", "samples.h5"),
                "--epochs", "1", "--batch-size", "16", "--threads", "1", "--output",
                os.path.join(scratch, "model.h5"), "--checkpoint", ckpt, "--resume"]
        yield "TrainNvidia --resume", argv, lambda: shutil.copy(path, ckpt)
    elif kind == "store":
        store = os.path.join(scratch, "damaged-store", "samples.h5")

        def setup():
            shutil.rmtree(os.path.dirname(store), ignore_errors=True)
            os.makedirs(os.path.dirname(store))
            shutil.copy(path, store)
        argv = [f"{bin_dir}/TrainNvidia", "--data", rec, "--store", store, "--prepare-only", "--threads", "1",
                "--batch-size", "16"]
        yield "TrainNvidia --prepare-only", argv, setup


STORE_HASH = r'''
import h5py, hashlib, sys
h = hashlib.sha256()
with h5py.File(sys.argv[1], "r") as f:
    for split in ("train", "validation"):
        for name in sorted(f[split].keys()):
            h.update(name.encode()); h.update(f[split][name][()].tobytes())
print(h.hexdigest())
'''


def result_of(command, stdout, argv):
    """What a successful run produced, to compare with the undamaged file's."""
    if command == "Predict":
        return stdout
    if command == "Drive":
        return "\n".join(l for l in stdout.splitlines() if l.startswith("model:"))
    if command == "TrainNvidia --resume":
        return "\n".join(l for l in stdout.splitlines() if l.startswith(("weights fingerprint", "best epoch")))
    store = argv[argv.index("--store") + 1]
    try:
        return subprocess.run([sys.executable, "-c", STORE_HASH, store], capture_output=True, text=True,
                              timeout=120).stdout.strip() or "unreadable"
    except subprocess.TimeoutExpired:
        return "unreadable"


def run(argv, setup, timeout):
    if setup:
        setup()
    started = time.time()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout, env=ENV,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr, time.time() - started
    except subprocess.TimeoutExpired as e:
        return None, "", "", time.time() - started


def classify(command, argv, code, stdout, stderr, reference):
    if code is None:
        return "timeout", ""
    if code < 0:
        return "signal", f"signal {-code}"
    message = (stderr.strip() or stdout.strip()).splitlines()
    message = message[-1] if message else ""
    if code == 0:
        return ("correct" if result_of(command, stdout, argv) == reference else "wrong"), ""
    if code == 1 and message:
        return "error", message[:400]
    return f"exit-{code}", message[:400]


def error_kind(detail):
    if "crashed libhdf5" in detail:
        return "contained crash"
    if "did not finish within" in detail:
        return "contained hang"
    if "checksum" in detail:
        return "checksum"
    return "other"


def main_run(args):
    sources_dir = os.path.abspath(args.sources)
    corpus = os.path.abspath(args.corpus)
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    manifest["sources"] = json.load(open(os.path.join(sources_dir, "sources.json")))
    scratch = os.path.abspath(args.scratch)
    os.makedirs(os.path.join(scratch, "store"), exist_ok=True)
    shutil.copy(os.path.join(sources_dir, "samples.h5"), os.path.join(scratch, "store", "samples.h5"))
    references = {}
    for name, source in sorted(manifest["sources"].items()):
        if args.only and name not in args.only:
            continue
        original = os.path.join(sources_dir, source["file"])
        for command, argv, setup in commands(args.bin, sources_dir, scratch, source, original):
            code, out, err, _ = run(argv, setup, args.timeout)
            if code != 0:
                sys.exit(f"the undamaged {name} fails {command} ({code}): {err or out}")
            references[(name, command)] = result_of(command, out, argv)
    jobs = []
    for entry in manifest["files"]:
        if args.only and entry["source"] not in args.only:
            continue
        source = manifest["sources"][entry["source"]]
        path = os.path.join(corpus, entry["path"])
        for command, argv, setup in commands(args.bin, sources_dir, scratch, source, path):
            jobs.append((entry, command, argv, setup))
    random.Random(1).shuffle(jobs)
    done = set()
    if os.path.exists(args.results):
        for line in open(args.results):
            r = json.loads(line)
            done.add((r["path"], r["command"]))
    count = 0
    with open(args.results, "a") as results:
        for entry, command, argv, setup in jobs:
            if (entry["path"], command) in done:
                continue
            if args.limit and count >= args.limit:
                break
            code, out, err, seconds = run(argv, setup, args.timeout)
            outcome, detail = classify(command, argv, code, out, err, references[(entry["source"], command)])
            record = dict(entry, command=command, outcome=outcome, code=code, seconds=round(seconds, 2),
                          detail=detail)
            if outcome == "error":
                record["error_kind"] = error_kind(detail)
            results.write(json.dumps(record) + "\n")
            results.flush()
            count += 1
            if outcome not in ("correct", "error"):
                print(f"{outcome}: {command} {entry['path']} {detail}", flush=True)
    print(f"{count} runs; {len(done) + count} of {len(jobs)} done")


def main_summary(args):
    manifest = json.load(open(os.path.join(args.corpus, "manifest.json")))
    runs = [json.loads(l) for l in open(args.results)]
    files = collections.Counter((f["source"], f["damage"]) for f in manifest["files"])
    damages = sorted({d for _, d in files})
    print(f"Files: {len(manifest['files'])}\n")
    print("| source | " + " | ".join(damages) + " | total |")
    print("|---" * (len(damages) + 2) + "|")
    for source in sorted({s for s, _ in files}):
        row = [files[(source, d)] for d in damages]
        print(f"| {source} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
    outcomes = ["correct", "error", "wrong", "signal", "timeout"]
    extra = sorted({r["outcome"] for r in runs} - set(outcomes))
    outcomes += extra
    kinds = ["contained crash", "contained hang", "checksum", "other"]
    print(f"\nRuns: {len(runs)}\n")
    print("| command | runs | " + " | ".join(outcomes) + " | errors: " + " / ".join(kinds) + " |")
    print("|---" * (len(outcomes) + 3) + "|")
    by_command = collections.defaultdict(list)
    for r in runs:
        by_command[r["command"]].append(r)
    for command in sorted(by_command) + ["all"]:
        rs = runs if command == "all" else by_command[command]
        c = collections.Counter(r["outcome"] for r in rs)
        k = collections.Counter(r.get("error_kind") for r in rs if r["outcome"] == "error")
        print(f"| {command} | {len(rs)} | " + " | ".join(str(c[o]) for o in outcomes) + " | "
              + " / ".join(str(k[x]) for x in kinds) + " |")
    print("\nRuns by damage kind:\n")
    print("| damage | runs | " + " | ".join(outcomes) + " |")
    print("|---" * (len(outcomes) + 2) + "|")
    by_damage = collections.defaultdict(list)
    for r in runs:
        by_damage[r["damage"]].append(r)
    for damage in sorted(by_damage):
        c = collections.Counter(r["outcome"] for r in by_damage[damage])
        print(f"| {damage} | {len(by_damage[damage])} | " + " | ".join(str(c[o]) for o in outcomes) + " |")
    bad = [r for r in runs if r["outcome"] not in ("correct", "error")]
    print(f"\nNot correct and not a clean error: {len(bad)}\n")
    for r in sorted(bad, key=lambda r: (r["outcome"], r["path"])):
        print(f"- {r['outcome']}: `{r['command']}` on `{r['path']}` {r['detail']}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", action="store_true")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--only", action="append", help="run only the files of this source (repeatable)")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--scratch", default="/tmp/corpus-scratch")
    args = parser.parse_args()
    if args.summary:
        args.results, args.corpus = args.paths
        main_summary(args)
    else:
        args.bin, args.sources, args.corpus, args.results = args.paths
        main_run(args)


main()
