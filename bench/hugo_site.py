#!/usr/bin/env python3
"""Turn a definitions tree into a Hugo site, the baseline metricdict is compared with.

    bench/hugo_site.py DEFS_DIR HUGO_DIR

One content page per definition (content/metrics/<key_path>.md, content/events/<action>.md)
whose JSON front matter is the definition's own fields, plus `title` (key_path or action),
`fields` (their order, for the template) and four taxonomies: data_categories (metrics'
data_category), tiers, groups (product_group) and statuses. The page body is the description,
so Hugo renders it as markdown like metricdict does. The theme is bench/hugo-theme/layouts
(plain HTML: single, list, term, terms, home), copied into HUGO_DIR.

Not the same work as metricdict: no schema validation, no metric <-> event relations, no
JSON/CSV downloads or search index. Hugo does render a page per taxonomy term with every
page of the term, like metricdict's browse pages.

HUGO_DIR is replaced only when empty or written by this script (marker `.bench-hugo-site`);
it is kept as is when the marker says it was made from the same DEFS_DIR (same generator
marker), unless --force.
"""

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("hugo_site.py: needs PyYAML (apt-get install -y python3-yaml)")

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HERE = Path(__file__).resolve().parent
THEME = HERE / "hugo-theme" / "layouts"
DEF_DIRS = ["config/metrics", "ee/config/metrics", "config/events", "ee/config/events"]
MARKER = ".bench-hugo-site"
VERSION = 1
# Front-matter keys Hugo gives a meaning of its own; definition fields of those names are renamed.
RESERVED = {
    "title", "fields", "date", "lastmod", "publishdate", "expirydate", "url", "slug", "type",
    "layout", "weight", "draft", "aliases", "outputs", "resources", "cascade", "build",
    "_build", "sitemap", "markup", "summary", "keywords", "linktitle", "headless",
    "translationkey", "iscjklanguage", "headless", "data_categories", "groups", "statuses",
    "tags", "categories", "source",
}

CONFIG = """baseURL = "/"
title = "Metrics Dictionary (Hugo baseline)"
languageCode = "en"
disableKinds = ["RSS"]
enableRobotsTXT = false
[taxonomies]
  data_category = "data_categories"
  tier = "tiers"
  group = "groups"
  status = "statuses"
[markup.goldmark.renderer]
  unsafe = false
"""


def yaml_files(defs):
    layout = any((defs / d).is_dir() for d in DEF_DIRS)
    roots = [defs / d for d in DEF_DIRS] if layout else [defs]
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".yml", ".yaml")):
                    yield Path(dirpath) / name


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x) for x in v if x is not None]
    return [str(v)]


def plain(v):
    """JSON-safe copy (YAML dates, odd keys)."""
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def slug(s):
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-.") or "item"
    return s[:120]


def page(doc, rel):
    if not isinstance(doc, dict):
        return None
    if doc.get("key_path"):
        section, title = "metrics", str(doc["key_path"])
    elif doc.get("action"):
        section, title = "events", str(doc["action"])
    else:
        return None
    fm = {"title": title}
    fields = []
    for k, v in doc.items():
        k = str(k)
        name = ("field_" + k) if k.lower() in RESERVED or k.lower() == "tiers" else k.lower()
        fm[name] = plain(v)
        fields.append(name)
    desc = doc.get("description")
    fm["description"] = "" if desc is None else str(desc)
    fm["fields"] = fields
    cat = doc.get("data_category") if section == "metrics" else None
    fm["data_categories"] = [str(cat).lower()] if cat else []
    fm["tiers"] = [t.lower() for t in as_list(doc.get("tiers", doc.get("tier")))]
    group = doc.get("product_group")
    fm["groups"] = [str(group).replace("group::", "").strip()] if group else []
    fm["statuses"] = [str(doc["status"]).lower()] if doc.get("status") else []
    fm["source"] = "https://gitlab.com/gitlab-org/gitlab/-/blob/master/" + str(rel)
    return section, title, fm, fm["description"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("defs")
    ap.add_argument("hugo_dir")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--minimal", action="store_true",
                    help="list pages as plain lists of links (bench/hugo-minimal overlays the theme): "
                         "the simplest honest equivalent of a dictionary site, as issue 15 asks")
    args = ap.parse_args()
    defs, out = Path(args.defs).resolve(), Path(args.hugo_dir).resolve()

    gen_marker = defs / "bench-generated.json"
    params = {"version": VERSION, "defs": str(defs),
              "generated": json.loads(gen_marker.read_text()) if gen_marker.is_file() else None,
              "theme_mtime": max(p.stat().st_mtime for p in THEME.rglob("*") if p.is_file()),
              "minimal": args.minimal}
    if out.exists() and any(out.iterdir()):
        m = out / MARKER
        if not m.is_file():
            sys.exit("hugo_site.py: %s is not empty and was not written by hugo_site.py; refusing" % out)
        try:
            old = json.loads(m.read_text())
        except ValueError:
            old = {}
        if not args.force and params["generated"] is not None and old == params:
            print("hugo_site.py: %s is up to date; kept" % out)
            return
        shutil.rmtree(out)

    tmp = out.with_name(out.name + ".tmp-hugo-site")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "content" / "metrics").mkdir(parents=True)
    (tmp / "content" / "events").mkdir(parents=True)
    (tmp / "config.toml").write_text(CONFIG)
    shutil.copytree(THEME, tmp / "layouts")
    if args.minimal:
        shutil.copytree(HERE / "hugo-minimal" / "layouts", tmp / "layouts", dirs_exist_ok=True)
    (tmp / "static").mkdir()
    (tmp / "static" / "site.css").write_text(
        "body{font:14px/1.5 system-ui,sans-serif;margin:0 auto;max-width:80rem;padding:1rem}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:2px 6px}\n")
    for sec, title in (("metrics", "Metrics"), ("events", "Events")):
        (tmp / "content" / sec / "_index.md").write_text('{"title": "%s"}\n' % title)
    (tmp / "content" / "_index.md").write_text('{"title": "Metrics"}\n')

    used = set()
    counts = {"metrics": 0, "events": 0, "skipped": 0}
    for path in yaml_files(defs):
        try:
            with open(path, "rb") as f:
                doc = yaml.load(f, Loader=Loader)
        except yaml.YAMLError:
            counts["skipped"] += 1
            continue
        p = page(doc, path.relative_to(defs))
        if not p:
            counts["skipped"] += 1
            continue
        section, title, fm, body = p
        base = slug(title)
        if section == "events" and doc.get("category") and (section, base.lower()) in used:
            base = slug("%s-%s" % (doc["category"], title))
        name, n = base, 1
        while (section, name.lower()) in used:
            n += 1
            name = "%s-%d" % (base, n)
        used.add((section, name.lower()))
        fm["slug"] = name  # keep the dots of key paths in URLs
        with open(tmp / "content" / section / (name + ".md"), "w", encoding="utf-8") as f:
            f.write(json.dumps(fm, ensure_ascii=False, default=str))
            f.write("\n\n")
            f.write(body)
            f.write("\n")
        counts[section] += 1
    (tmp / MARKER).write_text(json.dumps(params))
    tmp.rename(out)
    print("hugo_site.py: %d metric and %d event pages in %s (%d files skipped)"
          % (counts["metrics"], counts["events"], out, counts["skipped"]))


if __name__ == "__main__":
    main()
