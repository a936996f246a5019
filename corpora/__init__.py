"""The corpora shipped with the matcher, as package data (so a non-editable install finds them).

- `bic/`: the main corpus (challenges and innovator profiles written by independent authors from
  the briefs in `bic/briefs/`, labels from pooled blind judging in `bic/judging/`); the demo, the
  service's seed data and the default evaluation splits use it. Datasheet: `bic/README.md`.
- `demo/`: the earlier small templated corpus, kept for fast tests only.
- `problems.py`: hand-written parallel Thai/English text, used to estimate the language means.
"""
