#!/usr/bin/env python3
"""Converts ToolLens (Qu et al., "Towards Completeness-Oriented Tool Retrieval for Large Language
Models", CIKM 2024) into the format `toolbox eval` reads (see bench/datasets/metatool/README.md).

ToolLens is published in the GitHub repository quchangle1/COLT under datasets/ToolLens/ as a
BEIR-style corpus (`corpus.jsonl`), queries (`queries.jsonl`) and relevance judgements
(`qrels/test.tsv`). That repository states no licence, so the converted files are not committed:
run this script to make them locally (they are listed in .gitignore).

    git clone https://github.com/quchangle1/COLT /tmp/COLT   # commit bbec292c38ca was used
    python3 bench/datasets/toollens.py /tmp/COLT/datasets/ToolLens bench/datasets/toollens

Each corpus entry is one API of a RapidAPI tool, written as
`category_name:…, tool_name:…, api_name:…, api_description:…, required_params: […],
optional_params: […], return_schema: …`. It becomes one registry tool:

- `name`: `{tool}.{api}` in lowercase words joined by `_` (the way upstream MCP tools are
  namespaced by their server), cut to 128 characters, made unique with the corpus id;
- `description`: the API's description (its name when that is empty);
- `category`: the category name; `tags`: none;
- `input_schema`: an object schema with the required and optional parameters, their types and
  descriptions, as a real tool's schema would have them.

Queries are the test split's (1,877 of them, most needing two or three tools); `type` is
`single` for one relevant tool and `multi` for more.
"""

import json
import re
import sys
from pathlib import Path

FIELDS = re.compile(
    r"^category_name:(?P<category>.*?), tool_name:(?P<tool>.*?), api_name:(?P<api>.*?), "
    r"api_description:(?P<desc>.*?), required_params: (?P<req>\[.*?\]), "
    r"optional_params: (?P<opt>\[.*?\]), return_schema: (?P<ret>.*)$",
    re.S,
)

JSON_TYPES = {
    "string": "string",
    "str": "string",
    "number": "number",
    "float": "number",
    "integer": "integer",
    "int": "integer",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "object": "object",
}


def words(text: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))


def params(raw: str):
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return []


def schema(required, optional):
    props = {}
    for p in required + optional:
        name = str(p.get("name", "")).strip()
        if not name:
            continue
        prop = {"type": JSON_TYPES.get(str(p.get("type", "")).lower(), "string")}
        desc = str(p.get("description") or "").strip()
        if desc:
            prop["description"] = desc
        props[name] = prop
    out = {"type": "object", "properties": props}
    req = [str(p["name"]) for p in required if str(p.get("name", "")).strip() in props]
    if req:
        out["required"] = sorted(set(req))
    return out


def main(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    names = {}
    seen = set()
    with open(dst / "tools.jsonl", "w") as out:
        for line in open(src / "corpus.jsonl"):
            doc = json.loads(line)
            m = FIELDS.match(doc["text"])
            if not m:
                raise SystemExit(f"corpus entry {doc['_id']}: unexpected layout")
            base = f"{words(m['tool'])}.{words(m['api'])}".strip("._")[:128] or "api"
            name = base
            if name in seen or not name[0].isalnum():
                name = f"{base[:120]}_{doc['_id']}"
            seen.add(name)
            names[doc["_id"]] = name
            desc = m["desc"].strip() or m["api"].strip()
            tool = {
                "name": name,
                "description": desc,
                "category": m["category"].strip(),
                "tags": [],
                "input_schema": schema(params(m["req"]), params(m["opt"])),
                "source_id": doc["_id"],
            }
            out.write(json.dumps(tool, ensure_ascii=False) + "\n")
    relevant = {}
    with open(src / "qrels" / "test.tsv") as qrels:
        next(qrels)
        for row in qrels:
            qid, cid, score = row.rstrip("\n").split("\t")
            if int(score) > 0:
                relevant.setdefault(qid, []).append(names[cid])
    texts = {}
    for line in open(src / "queries.jsonl"):
        q = json.loads(line)
        if q["_id"] in relevant:
            texts[q["_id"]] = q["text"]
    with open(dst / "queries.jsonl", "w") as out:
        for qid in sorted(relevant, key=int):
            rel = relevant[qid]
            q = {
                "id": f"q{qid}",
                "query": texts[qid],
                "relevant": rel,
                "type": "single" if len(rel) == 1 else "multi",
            }
            out.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"{len(names)} tools, {len(relevant)} queries → {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: toollens.py TOOLLENS_DIR OUT_DIR")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
