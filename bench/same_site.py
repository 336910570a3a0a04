#!/usr/bin/env python3
"""Compare two built sites file by file: same names, same bytes.

    bench/same_site.py OLD NEW [OLD2 NEW2 ...]

Skips `search/index/` (tantivy names its segment files randomly) and the `.metricdict-site`
marker. Build both sides with the same SOURCE_DATE_EPOCH and from definitions outside a git
checkout (or at the same commit) so the build stamp is equal. Exit 0 when every pair is
identical, 1 otherwise (listing the first differences).
"""
import hashlib
import os
import sys

SKIP_PREFIXES = ("search/index/",)
SKIP_NAMES = {".metricdict-site"}


def digest(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
            if rel.startswith(SKIP_PREFIXES) or rel in SKIP_NAMES:
                continue
            with open(os.path.join(d, f), "rb") as fh:
                out[rel] = hashlib.sha256(fh.read()).hexdigest()
    return out


def compare(old, new):
    a, b = digest(old), digest(new)
    only_old = sorted(set(a) - set(b))
    only_new = sorted(set(b) - set(a))
    changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    same = not (only_old or only_new or changed)
    print(f"{old} vs {new}: {len(a)} / {len(b)} files, "
          + ("identical" if same else f"{len(only_old)} only in old, {len(only_new)} only in new, {len(changed)} differ"))
    for label, names in (("only in old", only_old), ("only in new", only_new), ("differs", changed)):
        for n in names[:10]:
            print(f"  {label}: {n}")
        if len(names) > 10:
            print(f"  … {len(names) - 10} more")
    return same


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    ok = all([compare(argv[i], argv[i + 1]) for i in range(0, len(argv), 2)])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
