#!/usr/bin/env python3
"""Bytes the static search fetches per query, for a built site.

    bench/search_bytes.py SITE_DIR [--queries N]

Replays what static/search.js does: one fetch of search/shards/manifest.json per visit, then one
shard per distinct query token (shard key = first three characters of the token, see
src/search.rs). Queries are drawn from the site's own metrics.json/events.json (single words,
word pairs, key-path fragments, prefixes as typed). Reports raw bytes and the bytes GitLab
Pages sends: the .gz twin where the build wrote one, the file itself where it did not (small
files get none); the first query of a visit also pays for the manifest.
"""
import json, os, random, re, statistics, sys

def main():
    site = sys.argv[1]
    n = int(sys.argv[sys.argv.index('--queries') + 1]) if '--queries' in sys.argv else 500
    shards = os.path.join(site, 'search', 'shards')
    manifest_path = os.path.join(shards, 'manifest.json')
    manifest = json.load(open(manifest_path))
    existing = set(manifest['shards'])
    size_cache = {}
    def sizes(path):
        if path not in size_cache:
            raw = os.path.getsize(path)
            twin = path + '.gz'
            size_cache[path] = (raw, os.path.getsize(twin) if os.path.exists(twin) else raw)
        return size_cache[path]
    def key(tok):
        head = tok[:3]
        return head if re.fullmatch(r'[a-z0-9]+', head) else 'x' + head.encode().hex()
    def tokens(q):
        out = []
        for t in re.findall(r'[^\W_]+', q.lower()):
            if len(t.encode()) < 40 and t not in out:
                out.append(t)
        return out
    docs = json.load(open(os.path.join(site, 'metrics.json')))['metrics'] + json.load(open(os.path.join(site, 'events.json')))['events']
    rnd = random.Random(42)
    words = [w for d in docs for w in tokens(d.get('description') or '') if len(w) >= 4]
    queries = []
    while len(queries) < n:
        kind = rnd.randrange(4)
        if kind == 0:
            queries.append(rnd.choice(words))
        elif kind == 1:
            queries.append(rnd.choice(words) + ' ' + rnd.choice(words))
        elif kind == 2:
            d = rnd.choice(docs)
            ident = d.get('key_path') or d.get('action')
            queries.append('_'.join(ident.rsplit('.', 1)[-1].split('_')[:2]))
        else:
            w = rnd.choice(words)
            queries.append(w[:rnd.randint(3, len(w))])
    raw, gz, fetches = [], [], []
    for q in queries:
        keys = {key(t) for t in tokens(q)} & existing
        r = sum(sizes(os.path.join(shards, k + '.json'))[0] for k in keys)
        g = sum(sizes(os.path.join(shards, k + '.json'))[1] for k in keys)
        raw.append(r); gz.append(g); fetches.append(len(keys))
    m_raw, m_gz = sizes(manifest_path)
    total = sum(os.path.getsize(os.path.join(shards, f)) for f in os.listdir(shards))
    def pct(v, p):
        v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))]
    print(json.dumps({
        'definitions': manifest['docs'], 'shards': len(existing), 'shard_bytes_total': total,
        'manifest_raw': m_raw, 'manifest_served': m_gz, 'queries': len(queries),
        'per_query_served': {'median': statistics.median(gz), 'p90': pct(gz, 0.9), 'max': max(gz)},
        'per_query_raw': {'median': statistics.median(raw), 'p90': pct(raw, 0.9), 'max': max(raw)},
        'first_query_served_median': statistics.median(gz) + m_gz,
        'fetches_per_query_median': statistics.median(fetches),
    }, indent=1))

if __name__ == '__main__':
    main()
