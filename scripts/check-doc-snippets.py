#!/usr/bin/env python3
"""Every Swift sample in the DocC catalogs and the README is code that CI compiles and runs.

Each ```swift block of Sources/*/*.docc/*.md, of README.md and of the
documentation comments of Sources/SkbTesting (which DocC renders in the same
catalog) must appear, line by line (indentation and blank lines aside), in a
Swift file of the Examples package, which `.ci/run` builds and tests. A block that starts with the line
`// Package.swift of your package` is a user's manifest (it names skbsim by
URL) and is exempt. Prints each block that is not found and exits 1.
"""
import glob
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(root)
MANIFEST = "// Package.swift of your package"


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


sources = {}
for path in sorted(glob.glob("Examples/**/*.swift", recursive=True)):
    if "/.build" in path:
        continue
    with open(path, encoding="utf-8") as f:
        sources[path] = lines(f.read())


def found(block):
    n = len(block)
    for body in sources.values():
        for i in range(len(body) - n + 1):
            if body[i : i + n] == block:
                return True
    return False


documents = sorted(glob.glob("Sources/*/*.docc/*.md")) + ["README.md"] + sorted(glob.glob("Sources/SkbTesting/*.swift"))
checked = 0
missing = []
for doc in documents:
    with open(doc, encoding="utf-8") as f:
        text = f.read().splitlines()
    if doc.endswith(".swift"):
        # Documentation comments only: `/// text` lines, the `///` removed.
        text = [line.strip()[3:] if line.strip().startswith("///") else "" for line in text]
    block = None
    start = 0
    for number, line in enumerate(text, 1):
        fence = line.strip()
        if block is None and fence == "```swift":
            block, start = [], number
        elif block is not None and fence == "```":
            code = lines("\n".join(block))
            if code and code[0] != MANIFEST:
                checked += 1
                if not found(code):
                    missing.append(f"{doc}:{start}: sample not found in Examples/: {code[0]}")
            block = None
        elif block is not None:
            block.append(line)

for message in missing:
    print(message, file=sys.stderr)
if missing:
    sys.exit(1)
print(f"doc snippets: {checked} Swift samples found in Examples/")
