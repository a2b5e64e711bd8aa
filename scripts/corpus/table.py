"""Print the corpus README's table of writers: split, voice and the posts per label in each file."""
import json
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "forum" / "moderation" / "crisis" / "corpus"
spec = json.loads((CORPUS / "briefs" / "writers.json").read_text())
splits = json.loads((CORPUS / "splits.json").read_text())["writers"]
print("| file | split | voice | urgent | concern | none (hard) | total |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
totals: Counter[str] = Counter()
for writer, where in splits.items():
    rows = [json.loads(line) for line in (CORPUS / f"{writer}.jsonl").read_text().splitlines() if line.strip()]
    c = Counter(r["label"] for r in rows)
    hard = sum(bool(r.get("hard_negative")) for r in rows)
    voice = spec[writer]["voice"].split(":")[0] if writer in spec else "issue 5's corpus, written beside the lexicon (not blind)"
    print(f"| `{writer}.jsonl` | {where} | {voice} | {c['urgent']} | {c['concern']} | {c['none']} ({hard}) | {len(rows)} |")
    totals[where] += len(rows)
print()
print(", ".join(f"{k}: {v} posts" for k, v in sorted(totals.items())))
