#!/usr/bin/env python3
"""Every module a target imports must be one it declares (issue #17, "builds that work by accident").

SwiftPM's --explicit-target-dependency-import-check does nothing on the Swift 6.3.1 Linux
toolchain (a package with an undeclared import builds), so this reads the manifest
(`swift package dump-package`) and each target's `import` lines. A module reached only through
another target's dependencies compiles today and breaks when that target drops it.

Usage: Scripts/check-imports.py [package dir] (default: the current directory). Exit 1 on any
undeclared import, naming file, line and module.
"""
import json
import os
import re
import subprocess
import sys

# The toolchain's and the OS's modules: always importable, never declared.
SYSTEM = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Dispatch", "Glibc", "Musl",
    "Darwin", "Swift", "_Concurrency", "Synchronization", "Testing", "XCTest", "os", "CoreFoundation",
    "PackagePlugin",  # what a package plugin (Plugins/) builds against
}
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")

# Products of package dependencies, and the modules each brings (a product may hold several).
PRODUCT_MODULES = {
    "NIOCore": {"NIOCore"}, "NIOPosix": {"NIOPosix"}, "NIOHTTP1": {"NIOHTTP1"},
    "NIOWebSocket": {"NIOWebSocket"}, "NIOEmbedded": {"NIOEmbedded"},
    "NIOConcurrencyHelpers": {"NIOConcurrencyHelpers"}, "NIO": {"NIO"},
    "Logging": {"Logging"}, "ArgumentParser": {"ArgumentParser"},
}


def main() -> int:
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    manifest = json.loads(
        subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True,
                       text=True).stdout)
    problems = []
    checked = 0
    for target in manifest["targets"]:
        if target["type"] == "system":
            continue
        declared = set()
        for dependency in target["dependencies"]:
            kind, value = next(iter(dependency.items()))
            name = value[0]
            declared |= PRODUCT_MODULES.get(name, {name}) if kind == "product" else {name}
        default = {"test": "Tests", "executable": "Sources"}.get(target["type"], "Sources")
        path = os.path.join(root, target.get("path") or os.path.join(default, target["name"]))
        excluded = [os.path.join(path, e) for e in target.get("exclude", [])]
        for directory, _, files in os.walk(path):
            if any(directory.startswith(e) for e in excluded):
                continue
            for file in files:
                if not file.endswith(".swift"):
                    continue
                full = os.path.join(directory, file)
                checked += 1
                with open(full, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        match = IMPORT.match(line)
                        if not match:
                            continue
                        module = match.group(1)
                        if module in SYSTEM or module == target["name"] or module in declared:
                            continue
                        problems.append(
                            f"{os.path.relpath(full, root)}:{number}: {target['name']} imports {module}, "
                            f"which it does not declare")
    for problem in problems:
        print(problem)
    print(f"check-imports: {checked} files, {len(problems)} undeclared import(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
