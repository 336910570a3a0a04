#!/usr/bin/env python3
"""Score search on the natural-language evaluation set (tests/search_eval.yml).

Systems scored:
  engine       the metricdict binary: `BIN search QUERY --site SITE --format json --limit 10`
  substr-phrase baseline: a definition matches if the whole query (lower-cased, trimmed)
               is a substring of `id + " " + description` (lower-cased); Ctrl+F-like
  substr-words baseline: every whitespace-separated query word must be such a substring
               (AND of words)
Both baselines rank matches in file order: metrics as in metrics.json (by key path),
then events as in events.json (by id).

Measures, overall and per kind, for each split:
  S@5  share of queries with any expected id in the top 5
  MRR  mean reciprocal rank of the first expected id within the top 10 (0 if absent)

Usage:
  python3 bench/search_eval.py --bin target/release/metricdict --site public \
      --eval tests/search_eval.yml [--split dev|holdout|all] [--top10-out FILE]

--split dev scores only the dev half (use this while tuning; the holdout half is
scored only at the end). --top10-out writes the engine's per-query top 10 as
{query: [key, ...]}.
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("PyYAML is needed: pip install pyyaml")

KINDS = ["question", "plural", "tense", "abbreviation", "typo", "legal", "known-item", "mixed"]


def load_site(site):
    with open(os.path.join(site, "metrics.json"), encoding="utf-8") as f:
        metrics = json.load(f)["metrics"]
    with open(os.path.join(site, "events.json"), encoding="utf-8") as f:
        events = json.load(f)["events"]
    docs = []
    for m in metrics:
        docs.append((m["key_path"], (m["key_path"] + " " + (m.get("description") or "")).lower()))
    for e in events:
        docs.append((e["id"], (e["id"] + " " + (e.get("description") or "")).lower()))
    return docs


def substr_phrase(docs, q, limit=10):
    needle = q.strip().lower()
    return [i for i, text in docs if needle in text][:limit]


def substr_words(docs, q, limit=10):
    words = q.strip().lower().split()
    return [i for i, text in docs if all(w in text for w in words)][:limit]


def engine(binary, site, q, limit=10):
    cmd = [binary, "search", "--site", site, "--format", "json", "--limit", str(limit), "--", q]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"warning: engine failed on {q!r}: {p.stderr.strip()}", file=sys.stderr)
        return []
    return [h["key"] for h in json.loads(p.stdout or "[]")]


def score(ranked, expect):
    exp = set(expect)
    s5 = any(k in exp for k in ranked[:5])
    rr = 0.0
    for i, k in enumerate(ranked[:10]):
        if k in exp:
            rr = 1.0 / (i + 1)
            break
    return (1.0 if s5 else 0.0), rr


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def table(name, rows, splits):
    """rows: list of (query-dict, s5, rr)."""
    out = [f"== {name}"]
    head = f"{'kind':<13}" + "".join(f" | {sp:>7} n    S@5    MRR" for sp in splits)
    out.append(head)
    out.append("-" * len(head))
    for kind in KINDS + ["ALL"]:
        line = f"{kind:<13}"
        for sp in splits:
            sel = [(s, r) for q, s, r in rows
                   if (sp == "all" or q["split"] == sp) and (kind == "ALL" or q["kind"] == kind)]
            if sel:
                line += f" | {'':>7}{len(sel):>3} {mean([s for s, _ in sel]):>6.3f} {mean([r for _, r in sel]):>6.3f}"
            else:
                line += f" | {'':>7}{0:>3} {'-':>6} {'-':>6}"
        out.append(line)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("METRICDICT_BIN", "target/release/metricdict"))
    ap.add_argument("--site", required=True, help="a built site folder (has metrics.json, events.json)")
    ap.add_argument("--eval", default="tests/search_eval.yml")
    ap.add_argument("--split", choices=["dev", "holdout", "all"], default="all")
    ap.add_argument("--top10-out", help="write the engine's per-query top 10 here as JSON")
    ap.add_argument("--no-engine", action="store_true", help="score the baselines only")
    a = ap.parse_args()

    with open(a.eval, encoding="utf-8") as f:
        queries = yaml.safe_load(f)["queries"]
    docs = load_site(a.site)
    known = {i for i, _ in docs}
    missing = sorted({i for q in queries for i in q["expect"] if i not in known})
    if missing:
        sys.exit(f"expected ids not in the site: {missing}")
    if a.split != "all":
        queries = [q for q in queries if q["split"] == a.split]
    splits = ["dev", "holdout", "all"] if a.split == "all" else [a.split]

    systems = []
    if not a.no_engine:
        systems.append(("engine", lambda q: engine(a.bin, a.site, q)))
    systems.append(("substr-phrase (whole query is a substring of id+description)", lambda q: substr_phrase(docs, q)))
    systems.append(("substr-words (every query word is a substring, AND)", lambda q: substr_words(docs, q)))

    print(f"eval: {a.eval}  queries: {len(queries)}  site: {a.site}  definitions: {len(docs)}")
    if not a.no_engine:
        print(f"engine: {a.bin}")
    print("S@5 = share of queries with an expected id in the top 5; MRR = reciprocal rank of the first expected id in the top 10")
    summary = []
    for name, fn in systems:
        rows = []
        top = {}
        for q in queries:
            ranked = fn(q["q"])
            top[q["q"]] = ranked
            s5, rr = score(ranked, q["expect"])
            rows.append((q, s5, rr))
        print()
        print(table(name, rows, splits))
        for sp in splits:
            sel = [(s, r) for q, s, r in rows if sp == "all" or q["split"] == sp]
            summary.append((name.split(" ")[0], sp, len(sel), mean([s for s, _ in sel]), mean([r for _, r in sel])))
        if name == "engine":
            misses = [q["q"] for q, s, _ in rows if not s]
            print(f"engine misses at 5 ({len(misses)}): " + "; ".join(misses))
            if a.top10_out:
                with open(a.top10_out, "w", encoding="utf-8") as f:
                    json.dump(top, f, indent=1, ensure_ascii=False)
                    f.write("\n")
    print()
    print("== summary")
    print(f"{'system':<14} {'split':<8} {'n':>4} {'S@5':>6} {'MRR':>6}")
    for name, sp, n, s5, mrr in summary:
        print(f"{name:<14} {sp:<8} {n:>4} {s5:>6.3f} {mrr:>6.3f}")


if __name__ == "__main__":
    main()
