#!/usr/bin/env python3
"""Render bench/run's per-size JSON results as markdown (stdout) and bench/results.md.

    bench/report.py RESULTS.md machine.json result-5000.json [result-20000.json ...]
"""

import json
import sys


def fmt(x, digits=2):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    return "%.*f" % (digits, x)


def mb(b):
    return None if b is None else b / 1e6


def main():
    out_md, machine_file, *files = sys.argv[1:]
    machine = json.load(open(machine_file))
    rows = [json.load(open(f)) for f in files]

    table = [
        "| N | metricdict build (s) | Hugo (s) | ratio metricdict/Hugo | peak RSS (MB) | output size (MB) | one-file rebuild (ms) | save→reload (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        md, hugo = r.get("metricdict_s"), r.get("hugo_s")
        ratio = md / hugo if md and hugo else None
        table.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["n"], fmt(md), fmt(hugo), fmt(ratio), fmt(mb(r.get("metricdict_rss_bytes")), 0),
            fmt(mb(r.get("metricdict_out_bytes")), 0), fmt(r.get("rebuild_ms"), 0),
            fmt(r.get("reload_ms"), 0)))

    details = [
        "| N | measured (commit, date) | metrics / events | metricdict runs (s) | Hugo runs (s) | Hugo peak RSS (MB) | Hugo output (MB) | files metricdict / Hugo | in-memory first build (ms) | rebuild p90 (ms) | rendered / reused / parsed per edit | save→reload p90 (ms) |",
        "|---:|---|---|---|---|---:|---:|---|---:|---:|---|---:|",
    ]
    for r in rows:
        rb = r.get("rebuild") or {}
        details.append("| %s | %s | %s / %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s |" % (
            r["n"], "`%s`, %s" % (r.get("commit", "?"), r.get("date", "?")),
            r.get("metrics", "?"), r.get("events", "?"),
            ", ".join(fmt(t) for t in r.get("metricdict_times", [])) or "–",
            ", ".join(fmt(t) for t in r.get("hugo_times", [])) or "–",
            fmt(mb(r.get("hugo_rss_bytes")), 0), fmt(mb(r.get("hugo_out_bytes")), 0),
            r.get("metricdict_files", "–"), r.get("hugo_files", "–"),
            fmt(rb.get("first_build_ms"), 0),
            fmt((rb.get("rebuild_ms") or {}).get("p90"), 0),
            " / ".join(fmt(rb.get(k), 0) for k in ("rendered", "reused", "parsed")) if rb else "–",
            fmt((rb.get("reload_ms") or {}).get("p90"), 0)))

    notes = [n for r in rows for n in r.get("notes", [])]
    stages = [(r["n"], r["stages"]) for r in rows if r.get("stages")]

    md = ["# metricdict benchmark results", ""]
    md.append("Produced by `bench/run` (N = %s); machine details as of %s." % (", ".join(str(r["n"]) for r in rows), machine["date"]))
    md.append("")
    md.append("- machine: %s, %s cores (`nproc`), %s GB RAM" % (machine["cpu"], machine["nproc"], machine["ram_gb"]))
    md.append("- commit: `%s`%s (per-row commit and date in Details)" % (machine["commit"], " with uncommitted changes" if machine.get("dirty") else ""))
    md.append("- tools: %s" % machine["tools"])
    md.append("- load average when the run started: %s" % machine.get("loadavg", "?"))
    md.append("")
    md.extend(table)
    md.append("")
    md.append("Times are hyperfine medians (`--warmup 1`, the runs listed in Details) of a cold full build into a new output folder: "
              "the previous one is moved aside before every run (`--prepare`), and deleted only before the next "
              "tool's runs, followed by `sync` and a pause (`BENCH_SETTLE_S`, 361 s: ext4 without a journal is slow "
              "to allocate inodes next to ones freed in the last 6 minutes, which would time the file system "
              "rather than the tool). Page cache "
              "left warm. The machine may be busy "
              "with other work, so compare the ratio (measured in the same run), not absolute times. "
              "Peak RSS: `/usr/bin/time -v` of one extra cold build run just before hyperfine. Output size: `du -sb` of the site. "
              "One-file rebuild: median `Rebuild::elapsed` of 20 in-process `LiveSite::rebuild(&[path])` "
              "after appending a word to one metric's description. Save→reload: median time from just "
              "before writing the file to the answer of the browser's waiting long poll "
              "(`/__metricdict/poll`), through the file watcher (30 ms debounce) and the rebuild. "
              "MB = 10^6 bytes. Details: `benches/rebuild.rs`, `bench/run`.")
    md.append("")
    md.append("## Details")
    md.append("")
    md.extend(details)
    md.append("")
    if stages:
        md.append("Stage timings of one more cold build, `METRICDICT_TIMINGS=1 metricdict build -q` (ms):")
        md.append("")
        names = []
        for _, st in stages:
            for k in st:
                if k not in names:
                    names.append(k)
        md.append("| stage | " + " | ".join("N=%s" % n for n, _ in stages) + " |")
        md.append("|---|" + "---:|" * len(stages))
        for k in names:
            md.append("| %s | %s |" % (k, " | ".join(fmt(st.get(k), 0) for _, st in stages)))
        md.append("")
    md.append("The Hugo baseline (`bench/hugo_site.py`, theme in `bench/hugo-theme/`) renders one page per "
              "definition with every field, the home/section tables and a page per taxonomy term "
              "(data category, tier, group, status) listing its pages. It does not validate, relate "
              "metrics and events, or write JSON/CSV downloads and a search index, so it does less work "
              "than metricdict.")
    if notes:
        md.append("")
        md.append("## Notes")
        md.append("")
        md.extend("- " + n for n in notes)
    md.append("")
    open(out_md, "w").write("\n".join(md))
    print("\n".join(table))


if __name__ == "__main__":
    main()
