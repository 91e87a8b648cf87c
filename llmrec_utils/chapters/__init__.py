"""What exists for one chapter's experiments: the choices made on validation
(:mod:`.choices`), chapter 6's and 7's leaderboard rows (:mod:`.augmentation`,
:mod:`.knowledge`), chapter 7's re-ranking runs (:mod:`.reranking`), chapter 8's
LLM judge (:mod:`.judging`) and chapter 9's cost lines (:mod:`.spark_costs`).
Built on the library floors; nothing below imports from here.
"""
