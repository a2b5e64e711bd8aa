"""Copy finished writers' files into the corpus and list them in splits.json (a test writer's
file is frozen there with its SHA-256). Run: python3 scripts/corpus/add_writer.py W [W ...]"""
import hashlib
import json
import shutil
import sys
from pathlib import Path

OUT = Path("/work/corpus/out")
CORPUS = Path(__file__).resolve().parents[2] / "forum" / "moderation" / "crisis" / "corpus"
spec = json.loads((CORPUS / "briefs" / "writers.json").read_text())
splits = json.loads((CORPUS / "splits.json").read_text())
for writer in sys.argv[1:]:
    shutil.copyfile(OUT / f"{writer}.jsonl", CORPUS / f"{writer}.jsonl")
    where = spec[writer]["split"]
    splits["writers"][writer] = where
    if where == "test":
        digest = hashlib.sha256((CORPUS / f"{writer}.jsonl").read_bytes()).hexdigest()
        splits["frozen"][writer] = digest
    print(writer, where)
splits["writers"] = dict(sorted(splits["writers"].items()))
splits["frozen"] = dict(sorted(splits["frozen"].items()))
(CORPUS / "splits.json").write_text(json.dumps(splits, indent=1) + "\n")
