#!/usr/bin/env python3
"""Writes the benchmark's fixed files into DIR (bench/run calls it):

  static/doc.json        ~1 KB Firestore document (GET response, mix a and d)
  static/commit.json     commit response for 10 writes (mix b)
  static/runquery.json   ~1 MB runQuery response: a JSON array of documents (mix c)
  body/commit.json       ~4 KB commit request with 10 update writes (mix b)
  body/runquery.json     runQuery request on collection orders (mix c)
  mix/{a,b,c,d}.txt      loadgen mix files
  policy.yaml            1,000 rules; the one that allows the benchmark's
                         caller is the last, so a linear scan would pay for all

Usage: make_fixtures.py DIR PROJECT
"""
import json
import os
import sys

out, project = sys.argv[1], sys.argv[2]
db = f"projects/{project}/databases/(default)"
docs = f"{db}/documents"
for sub in ("static", "body", "mix"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)


def write(name, text):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(text)


def document(i, size):
    fields = {
        "customer": {"stringValue": f"customer-{i:06d}"},
        "total": {"integerValue": str(1000 + i)},
        "status": {"stringValue": "shipped"},
        "created": {"timestampValue": "2026-11-26T12:00:00.000000Z"},
    }
    doc = {
        "name": f"{docs}/orders/o{i}",
        "fields": fields,
        "createTime": "2026-11-26T12:00:00.000000Z",
        "updateTime": "2026-11-26T12:00:00.000000Z",
    }
    pad = size - len(json.dumps(doc))
    if pad > 40:
        fields["notes"] = {"stringValue": "x" * (pad - 30)}
    return doc


write("static/doc.json", json.dumps(document(1, 1024), indent=1))
write(
    "static/commit.json",
    json.dumps(
        {
            "writeResults": [{"updateTime": "2026-11-26T12:00:00.000000Z"}] * 10,
            "commitTime": "2026-11-26T12:00:00.000000Z",
        }
    ),
)
rows, size = [], 0
i = 0
while size < 1024 * 1024:
    row = json.dumps({"document": document(i, 1000), "readTime": "2026-11-26T12:00:00.000000Z"})
    rows.append(row)
    size += len(row) + 2
    i += 1
write("static/runquery.json", "[" + ",\n".join(rows) + "]")

writes = []
for i in range(10):
    d = document(i, 480)
    writes.append({"update": {"name": d["name"], "fields": d["fields"]}})
write("body/commit.json", json.dumps({"writes": writes}))
write(
    "body/runquery.json",
    json.dumps({"structuredQuery": {"from": [{"collectionId": "orders"}], "limit": 1000}}),
)

write("mix/a.txt", f"GET /v1/{docs}/orders/o1\n")
write("mix/b.txt", f"POST /v1/{docs}:commit ../body/commit.json\n")
write("mix/c.txt", f"POST /v1/{docs}:runQuery ../body/runquery.json\n")
write("mix/d.txt", f"GET /v1/{docs}/orders/o1\n")

rules = ["version: 1", "rules:"]
for i in range(999):
    rules += [
        f"  - name: team-{i:03d}",
        "    subjects:",
        f'      namespaces: ["team-{i:03d}"]',
        f'    collections: ["team-{i:03d}", "shared/{{namespace}}/items", "t{i:03d}/*/events"]',
        "    actions: [read, write]",
    ]
rules += [
    "  - name: orders-own-orders",
    "    subjects:",
    '      namespaces: ["orders"]',
    '    collections: ["orders", "orders/*/items"]',
    "    actions: [read, write]",
]
write("policy.yaml", "\n".join(rules) + "\n")
