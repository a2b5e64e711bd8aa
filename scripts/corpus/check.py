"""Check one corpus file: python3 /work/corpus/check.py /work/corpus/out/<W>.jsonl"""
import json
import sys
from collections import Counter
from pathlib import Path

path = Path(sys.argv[1])
writer = path.stem
spec = json.loads((Path(__file__).parent / "writers.json").read_text())[writer]
lang = spec["lang"]
ids, texts, labels, hard, groups, lengths = set(), set(), Counter(), 0, Counter(), Counter()
errors = []
for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip():
        continue
    try:
        row = json.loads(line)
    except ValueError as e:
        errors.append(f"line {n}: not JSON ({e})")
        continue
    for key in ("id", "lang", "group", "label", "hard_negative", "text"):
        if key not in row:
            errors.append(f"line {n}: missing {key}")
    if not str(row.get("id", "")).startswith(f"{writer}-"):
        errors.append(f"line {n}: id must start with {writer}-")
    if row.get("id") in ids:
        errors.append(f"line {n}: duplicate id {row.get('id')}")
    ids.add(row.get("id"))
    if row.get("lang") != lang:
        errors.append(f"line {n}: lang must be {lang}")
    if row.get("group") not in ("grief", "cancer", "addiction", "mental-health", "abuse", "carers"):
        errors.append(f"line {n}: bad group {row.get('group')!r}")
    if row.get("label") not in ("urgent", "concern", "none"):
        errors.append(f"line {n}: bad label {row.get('label')!r}")
    if row.get("hard_negative") not in (True, False):
        errors.append(f"line {n}: hard_negative must be true or false")
    if row.get("hard_negative") and row.get("label") != "none":
        errors.append(f"line {n}: only none posts can be hard negatives")
    text = str(row.get("text", ""))
    if text in texts:
        errors.append(f"line {n}: duplicate text")
    texts.add(text)
    labels[row.get("label")] += 1
    hard += bool(row.get("hard_negative"))
    groups[row.get("group")] += 1
    words = len(text.split())
    lengths["short (<40 words)" if words < 40 else "medium (40-119)" if words < 120 else "long (120+)"] += 1
for e in errors[:30]:
    print("ERROR", e)
print(f"posts {sum(labels.values())} of {spec['total']}")
for label in ("urgent", "concern", "none"):
    print(f"  {label}: {labels[label]} of {spec[label]}")
print(f"  hard negatives: {hard} of {spec['hard']}")
print("  groups:", dict(groups))
print("  lengths:", dict(lengths))
print("OK" if not errors else f"{len(errors)} errors: fix them")
