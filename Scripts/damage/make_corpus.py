"""Makes the damaged-file corpus from the sources of make_sources.sh (docs/damaged-files.md).

    python Scripts/damage/make_corpus.py SOURCES_DIR CORPUS_DIR [--seed 13]

Deterministic for a seed. For every source file (sources.json):
- trunc-NNNNNN: the first N bytes, N = 0, 4096, 8192, ... below the file size;
- flip-<structure>-NNNN: one to four bytes changed inside one HDF5 structure, located by parsing
  the file: superblock, object headers (v1 headers found through the superblock and the symbol
  table nodes, v2 by signature), B-trees (TREE, BTHD/BTIN/BTLF, and the SNOD symbol table nodes),
  heaps (HEAP local heaps, GCOL global heaps holding the variable-length strings such as
  model_config, FRHP/FHDB/FHIB fractal heaps);
- swap-NNNN: two ranges of 512-4096 bytes exchanged;
- foreign-<what>: another format under the same name (PNG, JPEG, zip, gzip, JSON, text, random
  bytes, an HDF5 signature followed by garbage, another kind of our files, a plain h5py file...);
  relayout-latest: the same content rewritten by h5py with libver="latest" (v2 superblock and
  object headers, fractal heaps) - not damaged, so it must load correctly.
Writes CORPUS_DIR/<source>/<name>.h5 and CORPUS_DIR/manifest.json.
"""
import argparse
import gzip
import io
import json
import os
import random
import struct
import zipfile

import h5py
import numpy as np

# Flips per structure kind and source; the small Keras fixtures get more (they are quick to run
# and have few truncations).
FLIPS = {"superblock": 40, "ohdr": 120, "btree": 90, "heap": 90, "attr": 40}
FLIPS_SMALL = {"superblock": 80, "ohdr": 300, "btree": 180, "heap": 180, "attr": 100}
SWAPS = 60
SIGNATURES = {
    b"TREE": "btree", b"BTHD": "btree", b"BTIN": "btree", b"BTLF": "btree", b"SNOD": "btree",
    b"HEAP": "heap", b"GCOL": "heap", b"FRHP": "heap", b"FHDB": "heap", b"FHIB": "heap",
    b"OHDR": "ohdr", b"OCHK": "ohdr",
}


def u64(b, at):
    return struct.unpack_from("<Q", b, at)[0] if at + 8 <= len(b) else None


def structures(b):
    """(kind, start, end) regions of the HDF5 structures in file bytes `b` (offsets and lengths 8)."""
    regions = []
    if b[:8] != b"\x89HDF\r\n\x1a\n":
        return regions
    version = b[8]
    if version in (0, 1):
        regions.append(("superblock", 0, 96 if version == 0 else 100))
        root = u64(b, 64 if version == 0 else 68)
        headers = {root} if root else set()
    else:
        regions.append(("superblock", 0, 48))
        headers = set()
    # Signed structures: flip within their first part (their length is not parsed).
    starts = []
    for sig, kind in SIGNATURES.items():
        at = b.find(sig)
        while at >= 0:
            starts.append((at, kind, sig))
            at = b.find(sig, at + 1)
    starts.sort()
    for i, (at, kind, sig) in enumerate(starts):
        end = min(starts[i + 1][0] if i + 1 < len(starts) else len(b), at + 1024, len(b))
        if sig == b"SNOD":
            count = struct.unpack_from("<H", b, at + 6)[0] if at + 8 <= len(b) else 0
            end = min(at + 8 + 40 * count, len(b))
            for e in range(count):
                addr = u64(b, at + 8 + 40 * e + 8)
                if addr:
                    headers.add(addr)
        if sig == b"GCOL":
            size = u64(b, at + 8) or 1024
            end = min(at + size, len(b))
        if sig == b"HEAP":
            size = u64(b, at + 8) or 0
            data = u64(b, at + 24) or 0
            if size and data + size <= len(b):
                regions.append(("heap", data, data + size))  # the local heap's names
        regions.append((kind, at, max(end, at + 8)))
    # v1 object headers: 16-byte prefix then `size` bytes of messages, continued in other blocks
    # (continuation messages, type 0x10); attribute messages (type 0x0C) are the "attr" regions.
    def messages(start, end, depth):
        at = start
        while at + 8 <= end:
            mtype, msize = struct.unpack_from("<HH", b, at)
            if mtype == 0x000C:
                regions.append(("attr", at, min(at + 8 + msize, end)))
            if mtype == 0x0010 and depth < 8:
                block, length = u64(b, at + 8), u64(b, at + 16)
                if block is not None and length and block + length <= len(b):
                    regions.append(("ohdr", block, block + length))
                    messages(block, block + length, depth + 1)
            at += 8 + msize

    for addr in sorted(headers):
        if addr + 16 > len(b) or b[addr] != 1:
            continue
        size = struct.unpack_from("<I", b, addr + 8)[0]
        end = min(addr + 16 + size, len(b))
        regions.append(("ohdr", addr, end))
        messages(addr + 16, end, 0)
    return regions


def flip(rng, b, region):
    out = bytearray(b)
    _, start, end = region
    for _ in range(rng.choice((1, 1, 1, 2, 4))):
        at = rng.randrange(start, end)
        if rng.random() < 0.5:
            out[at] ^= 1 << rng.randrange(8)
        else:
            out[at] = rng.randrange(256)
    return bytes(out)


def swap(rng, b):
    n = rng.randrange(512, 4097)
    if len(b) < 2 * n + 1:
        n = max(1, len(b) // 3)
    a = rng.randrange(0, len(b) - 2 * n + 1)
    c = rng.randrange(a + n, len(b) - n + 1)
    out = bytearray(b)
    out[a:a + n], out[c:c + n] = b[c:c + n], b[a:a + n]
    return bytes(out)


def plain_h5py():
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f["data"] = np.arange(100, dtype=np.float32)
        f.attrs["note"] = "not a model"
    return buf.getvalue()


def relayout(path):
    """The same groups, datasets and attributes, written with libver='latest'."""
    buf = io.BytesIO()
    with h5py.File(path, "r") as src, h5py.File(buf, "w", libver="latest") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                g = dst.require_group(name)
            else:
                g = dst.create_dataset(name, data=obj[()])
            for k, v in obj.attrs.items():
                g.attrs[k] = v
        src.visititems(copy)
    return buf.getvalue()


def foreign(rng, sources_dir, sources, kind):
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("model.json", "{}")
    out = {
        "empty": b"",
        "png": open(os.path.join(sources_dir, "input_32x32.png"), "rb").read(),
        "jpeg": open(os.path.join(sources_dir, "camera.jpg"), "rb").read(),
        "zip": zbuf.getvalue(),
        "json": json.dumps({"class_name": "Sequential", "config": []}).encode(),
        "text": b"steering,throttle\n0.1,0.2\n" * 50,
        "random": bytes(rng.randrange(256) for _ in range(50000)),
        "hdf5-signature-garbage": b"\x89HDF\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(20000)),
        "gzip": gzip.compress(open(os.path.join(sources_dir, sources["keras_2_2_4"]["file"]), "rb").read()),
        "plain-h5py": plain_h5py(),
    }
    # Our other kinds of file in place of this one.
    for other in ("ours_model", "checkpoint", "store", "keras_2_0_8"):
        if sources[other]["kind"] != kind or (kind == "model" and other == "keras_2_0_8"):
            out["other-" + other] = open(os.path.join(sources_dir, sources[other]["file"]), "rb").read()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sources")
    parser.add_argument("corpus")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    sources = json.load(open(os.path.join(args.sources, "sources.json")))
    manifest = {"sources": sources, "files": []}
    os.makedirs(args.corpus, exist_ok=True)
    for name in sorted(sources):
        source = sources[name]
        rng = random.Random(f"{args.seed}/{name}")
        original = open(os.path.join(args.sources, source["file"]), "rb").read()
        folder = os.path.join(args.corpus, name)
        os.makedirs(folder, exist_ok=True)
        files = {}
        for n in range(0, len(original), 4096):
            files[f"trunc-{n:07d}"] = original[:n]
        regions = structures(original)
        small = len(original) < 200_000
        for kind, count in (FLIPS_SMALL if small else FLIPS).items():
            candidates = [r for r in regions if r[0] == kind]
            for i in range(count if candidates else 0):
                files[f"flip-{kind}-{i:04d}"] = flip(rng, original, rng.choice(candidates))
        for i in range(SWAPS):
            files[f"swap-{i:04d}"] = swap(rng, original)
        for what, data in foreign(rng, args.sources, sources, source["kind"]).items():
            files[f"foreign-{what}"] = data
        if source["kind"] != "store":
            files["relayout-latest"] = relayout(os.path.join(args.sources, source["file"]))
        for stem, data in sorted(files.items()):
            with open(os.path.join(folder, stem + ".h5"), "wb") as f:
                f.write(data)
            damage = stem.split("-")[0] if not stem.startswith("flip-") else "flip-" + stem.split("-")[1]
            manifest["files"].append({"source": name, "name": stem, "damage": damage,
                                      "path": os.path.join(name, stem + ".h5")})
        print(f"{name}: {len(files)} files, structures " +
              ", ".join(f"{k} {sum(1 for r in regions if r[0] == k)}"
                        for k in ("superblock", "ohdr", "btree", "heap", "attr")))
    with open(os.path.join(args.corpus, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=0)
    print(f"{len(manifest['files'])} files in {args.corpus}")


main()
