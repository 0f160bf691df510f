"""Build the UN General Assembly vote snapshot cyberdip ships
(src/cyberdip/data/unvotes/unga-votes.json.gz) from the public datasets it is made of: the
unvotes tables (1946-2019, Voeten, Strezhnev and Bailey) and the UN's recorded votes of sessions
74 onwards in the UN Digital Library layout. See src/cyberdip/data/unvotes/README.md.

Run: .venv/bin/python tools/build_vote_snapshot.py [--unvotes DIR] [--undl FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from cyberdip.services import loading, vote_imports
from cyberdip.services.settings import Settings
from cyberdip.services.workbench import Workbench

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

ABOUT: dict[str, object] = {
    "title": "United Nations General Assembly recorded votes, 1946-2026",
    "sources": [
        {"what": "roll calls 1946 to January 2020 (sessions 1-74)",
         "name": "Erik Voeten, Anton Strezhnev and Michael Bailey, United Nations General Assembly Voting Data, "
                 "Harvard Dataverse, hdl:1902.1/12379, through the unvotes R package (David Robinson)",
         "url": "https://hdl.handle.net/1902.1/12379", "terms": "CC0 (public domain dedication)"},
        {"what": "recorded votes on whole resolutions, sessions 74-80 (November 2019 - June 2026), "
                 "including emergency special sessions 10 and 11",
         "name": "United Nations, Department for General Assembly and Conference Management: machine-readable "
                 "General Assembly resolutions (github.com/UNxml/GAresolutions), in the layout of the UN Digital "
                 "Library's General Assembly Voting Data (digitallibrary.un.org/record/4060887)",
         "url": "https://github.com/UNxml/GAresolutions",
         "terms": "United Nations material: unofficial copies for information, non-commercial use, "
                  "acknowledge the United Nations as the source"},
    ],
    "notes": "Votes of the same resolution in both sources are merged by symbol and date. From session 74 "
             "onwards only votes on whole resolutions are included, not votes on amendments or paragraphs. "
             "Vote codes: Y yes, A abstain, N no, X present but not voting or absent, - not a member, "
             ". no vote recorded.",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unvotes", type=Path, default=SHARED / "un-votes")
    parser.add_argument("--undl", type=Path,
                        default=SHARED / "un-votes-2019-2026" / "unga_recorded_votes_s74-80_dgacm.csv.gz")
    parser.add_argument("--out", type=Path, default=vote_imports.SHIPPED_VOTES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workbench = Workbench.open(Settings(database_url=f"sqlite:///{Path(folder) / 'votes.db'}"))
        loading.init_database(workbench)
        for path in (args.unvotes, args.undl):
            summary = vote_imports.import_unga(workbench, path)
            print(f"{path.name}: {summary.rollcalls} roll calls, {summary.merged_with_existing} merged with ones already read")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        count = vote_imports.export_snapshot(workbench, args.out, ABOUT)
        workbench.close()
    print(f"wrote {count} roll calls to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
