"""Text and language-model tools: sentence embeddings (:mod:`.embeddings`),
keyword extraction (:mod:`.keywords`), generators and structured output
(:mod:`.llm`), aspect tagging (:mod:`.ner`),
augmentation prompts and jobs (:mod:`.augment`), LLM re-ranking (:mod:`.rerank`)
and the same on Spark (:mod:`.spark_text`). Import the module you need.
"""
