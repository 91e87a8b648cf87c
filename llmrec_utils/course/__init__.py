"""The course tooling: exercise checks (:mod:`.exercises`), grading
(:mod:`.grading`), the student edition (:mod:`.student`), what a page glues
(:mod:`.page`) and shared plots (:mod:`.plots`). The top floor.
"""
