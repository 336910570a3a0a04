#!/usr/bin/env python3
"""Bytes the static search fetches per query, for a built site.

    bench/search_bytes.py SITE_DIR [--queries N]

Runs the site's own static/search.js in node (tests/js/search_runner.js `fetches`) with every
query as the first of a visit, so each pays for the manifest and every shard it opens
(stems, synonyms, prefixes and, when nothing matches, the shards typo matching reads).
Queries are drawn from the site's own metrics.json/events.json: single words, word pairs,
key-path fragments, prefixes as typed, questions ("how many … were …") and misspellings
(one edit in a word of 5+ letters). Reports raw bytes and the bytes GitLab Pages sends: the
.gz twin where the build wrote one, the file itself where it did not (small files get none).
"""

import json, os, random, re, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, '..', 'tests', 'js', 'search_runner.js')


def tokens(q):
    out = []
    for t in re.findall(r'[^\W_]+', q.lower()):
        if len(t.encode()) < 40 and t not in out:
            out.append(t)
    return out


def typo(rnd, w):
    i = rnd.randrange(len(w) - 1)
    return w[:i] + w[i + 1] + w[i] + w[i + 2:] if rnd.random() < 0.5 else w[:i] + w[i + 1:]


def draw(docs, n, seed=42):
    rnd = random.Random(seed)
    words = [w for d in docs for w in tokens(d.get('description') or '') if len(w) >= 4]
    queries = []
    while len(queries) < n:
        kind = rnd.randrange(6)
        if kind == 0:
            queries.append(rnd.choice(words))
        elif kind == 1:
            queries.append(rnd.choice(words) + ' ' + rnd.choice(words))
        elif kind == 2:
            d = rnd.choice(docs)
            ident = d.get('key_path') or d.get('action')
            queries.append('_'.join(ident.rsplit('.', 1)[-1].split('_')[:2]))
        elif kind == 3:
            w = rnd.choice(words)
            queries.append(w[:rnd.randint(3, len(w))])
        elif kind == 4:
            queries.append('how many ' + rnd.choice(words) + ' were ' + rnd.choice(words))
        else:
            w = rnd.choice([w for w in words if len(w) >= 5])
            queries.append(typo(rnd, w))
    return queries


def main():
    site = sys.argv[1]
    n = int(sys.argv[sys.argv.index('--queries') + 1]) if '--queries' in sys.argv else 500
    docs = json.load(open(os.path.join(site, 'metrics.json')))['metrics'] + json.load(open(os.path.join(site, 'events.json')))['events']
    queries = draw(docs, n)
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(queries, f)
    try:
        out = subprocess.run(['node', RUNNER, 'fetches', site, f.name], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    size_cache = {}

    def sizes(rel):
        if rel not in size_cache:
            path = os.path.join(site, rel)
            if not os.path.exists(path):
                size_cache[rel] = (0, 0)
            else:
                raw = os.path.getsize(path)
                twin = path + '.gz'
                size_cache[rel] = (raw, os.path.getsize(twin) if os.path.exists(twin) else raw)
        return size_cache[rel]

    raw, gz, fetches, worst = [], [], [], ('', 0)
    for line in out.splitlines():
        r = json.loads(line)
        files = sorted(set(r['files']))
        rr = sum(sizes(x)[0] for x in files)
        g = sum(sizes(x)[1] for x in files)
        raw.append(rr); gz.append(g); fetches.append(len(files))
        if g > worst[1]:
            worst = (r['q'], g)
    shards = os.path.join(site, 'search', 'shards')
    manifest = json.load(open(os.path.join(shards, 'manifest.json')))
    total = sum(os.path.getsize(os.path.join(shards, f)) for f in os.listdir(shards) if not f.endswith('.gz'))

    def pct(v, p):
        v = sorted(v)
        return v[min(len(v) - 1, int(p * len(v)))]
    m_raw, m_gz = sizes('search/shards/manifest.json')
    print(json.dumps({
        'definitions': len(docs), 'shards': len(manifest['shards']), 'shard_bytes_total': total,
        'manifest_raw': m_raw, 'manifest_served': m_gz, 'queries': len(queries),
        'first_query_served': {'median': statistics.median(gz), 'p90': pct(gz, 0.9), 'max': max(gz)},
        'first_query_raw': {'median': statistics.median(raw), 'p90': pct(raw, 0.9), 'max': max(raw)},
        'worst_query': worst[0],
        'fetches_per_query': {'median': statistics.median(fetches), 'max': max(fetches)},
    }, indent=1))


if __name__ == '__main__':
    main()
