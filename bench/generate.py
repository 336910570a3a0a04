#!/usr/bin/env python3
"""Scale the real GitLab corpus to N definitions for benchmarks.

    bench/generate.py N OUT_DIR [--seed S] [--source DIR]

Writes a GitLab-layout tree (config/metrics/**, ee/config/metrics/**, config/events/*.yml,
ee/config/events/*.yml) with about 55% metrics and 45% events. Every real definition file is
a text template: variant 0 is the file itself, verbatim; variant k >= 1 is the same text with a
handful of *lines* substituted, so every old and new shape survives byte for byte elsewhere:

- `key_path:` / `action:`   unique suffix `_g<k>`
- `description:`            a few words appended (plain, quoted, folded and literal forms)
- `product_group:`          one of the real groups used by definitions of the same kind
- `milestone:`              a real-looking "MAJOR.MINOR" (keeps `<` and the quoting style;
                            kept as is when the file has `milestone_removed`)
- top-level `events:`       each `name:` points at a generated event action: the same event's
                            variant k when the original named a real event, else a random one

Schemas and other JSON files of the source tree are copied unchanged, so validation uses the
tree's own schemas. Deterministic for a given (N, seed, source). The source is
/work/shared/corpus/gitlab, else the repository's definitions/ folder.

OUT_DIR is replaced only when it is empty or was written by this script (it carries
`bench-generated.json`); when that marker already names the same N, seed and source, nothing is
regenerated (pass --force to regenerate anyway).
"""

import argparse
import json
import os
import random
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = [Path("/work/shared/corpus/gitlab"), HERE.parent / "definitions"]
DEF_DIRS = ["config/metrics", "ee/config/metrics", "config/events", "ee/config/events"]
MARKER = "bench-generated.json"
GENERATOR_VERSION = 1
METRIC_SHARE = 0.55

TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(.*)$")


def find_source(explicit):
    if explicit:
        return Path(explicit).resolve()
    for s in DEFAULT_SOURCES:
        if s.is_dir():
            return s.resolve()
    sys.exit("generate.py: no source corpus found (tried %s)" % ", ".join(map(str, DEFAULT_SOURCES)))


def top_value(lines, key):
    """The raw text after `key:` on a top-level line, or None."""
    for ln in lines:
        if ln.startswith(key + ":"):
            return ln[len(key) + 1 :].strip()
    return None


def unquote(v):
    v = v.split(" #")[0].strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


class Template:
    def __init__(self, rel, text):
        self.rel = rel  # path relative to the tree root
        self.text = text
        self.lines = text.splitlines(keepends=True)
        bare = [l.rstrip("\r\n") for l in self.lines]
        kp, act = top_value(bare, "key_path"), top_value(bare, "action")
        self.kind = "metric" if kp else ("event" if act else None)
        self.ident = unquote(kp if kp else act) if self.kind else None
        self.internal = any(l.startswith("internal_events: true") for l in bare)
        self.has_milestone_removed = any(l.startswith("milestone_removed:") for l in bare)
        pg = top_value(bare, "product_group")
        self.group = pg if pg else None


def discover(source):
    """All definition templates (sorted) and the non-YAML files to copy verbatim."""
    templates, others = [], []
    layout = any((source / d).is_dir() for d in DEF_DIRS)
    roots = [source / d for d in DEF_DIRS] if layout else [source]
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                p = Path(dirpath) / name
                rel = p.relative_to(source)
                if name.endswith((".yml", ".yaml")):
                    t = Template(rel, p.read_text(encoding="utf-8"))
                    if t.kind:
                        templates.append(t)
                elif name.endswith(".json"):
                    others.append(rel)
    # config/events/*.yml are walked non-recursively by GitLab; schema JSONs live below too.
    templates.sort(key=lambda t: str(t.rel))
    return templates, sorted(set(others))


def words_from(templates):
    vocab = set()
    for t in templates:
        for l in t.lines:
            if l.startswith("description:"):
                vocab.update(w.lower() for w in re.findall(r"[A-Za-z]{3,12}", l[12:]))
    vocab.discard("description")
    return sorted(vocab) or ["metric", "usage", "count", "users", "monthly"]


def milestone_value(rng):
    major = rng.randint(13, 18)
    minor = rng.randint(0, 11)
    return "%d.%d" % (major, minor)


def edit_description(lines, i, extra):
    """Append `extra` (words) to the description starting at lines[i]; True when done."""
    line = lines[i]
    body = line.rstrip("\r\n")
    eol = line[len(body) :]
    value = body[len("description:") :]
    v = value.strip()
    if not v:
        return False  # null description: leave it (a real shape)
    if v[0] in ">|":
        # Block scalar: append to the first content line.
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j >= len(lines) or not lines[j].startswith((" ", "\t")):
            return False
        b = lines[j].rstrip("\r\n")
        lines[j] = b + " " + extra + lines[j][len(b) :]
        return True
    if v[0] in "'\"":
        q = v[0]
        if len(v) >= 2 and v.endswith(q) and not v.endswith("\\" + q):
            at = body.rstrip().rfind(q)
            lines[i] = body[:at] + " " + extra + body[at:] + eol
        else:
            # Quoted scalar spanning several lines: put the words right after the opening quote.
            at = body.index(q)
            lines[i] = body[: at + 1] + extra + " " + body[at + 1 :] + eol
        return True
    if " #" in v:
        return False
    lines[i] = body.rstrip() + " " + extra + eol
    return True


def render_variant(t, k, rng, ctx):
    """The text of variant k >= 1 of template t."""
    lines = list(t.lines)
    suffix = "_g%d" % k
    in_events = False
    i = 0
    while i < len(lines):
        line = lines[i]
        body = line.rstrip("\r\n")
        eol = line[len(body) :]
        m = TOP_KEY.match(body)
        if m:
            in_events = False
            key, rest = m.group(1), m.group(2)
            if key in ("key_path", "action") and key == ("key_path" if t.kind == "metric" else "action"):
                v = rest.strip()
                if v and v[0] in "'\"":
                    q = v[0]
                    lines[i] = "%s: %s%s%s%s%s" % (key, q, v[1:-1], suffix, q, eol)
                else:
                    lines[i] = "%s: %s%s%s" % (key, v, suffix, eol)
            elif key == "description":
                n = rng.randint(1, 4)
                edit_description(lines, i, " ".join(rng.choice(ctx["vocab"]) for _ in range(n)))
            elif key == "product_group" and rest.strip():
                lines[i] = "product_group: %s%s" % (rng.choice(ctx["groups"][t.kind]), eol)
            elif key == "milestone" and rest.strip() and not t.has_milestone_removed:
                v = rest.strip()
                q = v[0] if v[0] in "'\"" else ""
                inner = v[1:-1] if q else v
                lt = "<" if inner.startswith("<") else ""
                lines[i] = "milestone: %s%s%s%s%s" % (q, lt, milestone_value(rng), q, eol)
            elif key == "events" and t.kind == "metric" and not rest.strip():
                in_events = True
        elif in_events:
            em = re.match(r"^(\s*-?\s*name:\s*)(['\"]?)([^'\"#]+?)(['\"]?)\s*$", body)
            if em:
                lines[i] = em.group(1) + em.group(2) + ctx["event_ref"](em.group(3).strip(), k, rng) + em.group(4) + eol
            else:
                sm = re.match(r"^(\s*-\s+)([a-z0-9_]+)\s*$", body)
                if sm:
                    lines[i] = sm.group(1) + ctx["event_ref"](sm.group(2), k, rng) + eol
        i += 1
    return "".join(lines)


def variant_path(rel, k):
    if k == 0:
        return rel
    return rel.with_name("%s_g%d%s" % (rel.stem, k, rel.suffix))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of definitions to generate")
    ap.add_argument("out", help="output folder (a GitLab-layout tree)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", "7")))
    ap.add_argument("--source", help="corpus to scale (default: /work/shared/corpus/gitlab, else definitions/)")
    ap.add_argument("--force", action="store_true", help="regenerate even when OUT already matches")
    args = ap.parse_args()
    if args.n < 2:
        sys.exit("generate.py: N must be at least 2")

    source = find_source(args.source)
    out = Path(args.out).resolve()
    params = {"generator": GENERATOR_VERSION, "n": args.n, "seed": args.seed, "source": str(source)}
    marker = out / MARKER
    if out.exists() and any(out.iterdir()):
        if not marker.is_file():
            sys.exit("generate.py: %s is not empty and was not written by generate.py; refusing" % out)
        try:
            old = json.loads(marker.read_text())
        except ValueError:
            old = {}
        if not args.force and all(old.get(k) == v for k, v in params.items()):
            print("generate.py: %s already holds N=%d (seed %d); kept" % (out, args.n, args.seed))
            return
        shutil.rmtree(out)

    templates, others = discover(source)
    metrics = [t for t in templates if t.kind == "metric"]
    events = [t for t in templates if t.kind == "event"]
    if not metrics or not events:
        sys.exit("generate.py: the source needs both metric and event definitions")
    n_metrics = round(args.n * METRIC_SHARE)
    n_events = args.n - n_metrics

    rng = random.Random(args.seed)
    groups = {}
    for kind, ts in (("metric", metrics), ("event", events)):
        groups[kind] = sorted({t.group for t in ts if t.group}) or ["analytics_instrumentation"]

    # Which (template, variant) pairs exist: item i is template i % len, variant i // len.
    def event_exists(j, k):
        return k * len(events) + j < n_events

    event_index = {}
    for j, t in enumerate(events):
        event_index.setdefault(t.ident, j)
    ev_suffixed = lambda j, k: events[j].ident + ("_g%d" % k if k else "")

    def event_ref(name, k, r):
        j = event_index.get(name)
        if j is not None:
            return ev_suffixed(j, k) if event_exists(j, k) else ev_suffixed(j, 0) if event_exists(j, 0) else random_event(r)
        return random_event(r)

    # Metrics count internal events (`internal_events: true`); fall back to any event.
    internal = [j for j, t in enumerate(events) if t.internal and event_exists(j, 0)]
    internal = internal or [j for j in range(len(events)) if event_exists(j, 0)]

    def random_event(r):
        j = r.choice(internal)
        k = r.randrange((n_events - 1 - j) // len(events) + 1)  # a variant that exists
        return ev_suffixed(j, k)

    ctx = {"vocab": words_from(templates), "groups": groups, "event_ref": event_ref}

    tmp = out.with_name(out.name + ".tmp-generate")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for rel in others:
        dst = tmp / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, dst)

    written = {"metric": 0, "event": 0}
    made_dirs = set()
    for kind, ts, count in (("metric", metrics, n_metrics), ("event", events, n_events)):
        for i in range(count):
            t = ts[i % len(ts)]
            k = i // len(ts)
            text = t.text if k == 0 else render_variant(t, k, rng, ctx)
            dst = tmp / variant_path(t.rel, k)
            if dst.parent not in made_dirs:
                dst.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(dst.parent)
            with open(dst, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            written[kind] += 1

    params.update({"metrics": written["metric"], "events": written["event"],
                   "templates": {"metrics": len(metrics), "events": len(events)}})
    (tmp / MARKER).write_text(json.dumps(params, indent=1) + "\n")
    tmp.rename(out)
    print("generate.py: wrote %d metrics and %d events to %s (from %d + %d templates in %s)"
          % (written["metric"], written["event"], out, len(metrics), len(events), source))


if __name__ == "__main__":
    main()
