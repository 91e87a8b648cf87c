"""``python -m llmrec_utils.course.translation gettext|build|check``."""

from .build import main

raise SystemExit(main())
