"""corpus_tools — parse and analyse training-programme Q&A booklets.

The flow, one module per stage: ``ingest`` (bytes → classified lines) → ``parse`` (lines → entries, turns) →
``booklet`` (tables, save/load) → analyses → figures/report.
"""

from .booklet import Booklet, booklet_from_text, read_booklet
from .errors import BookletError

__all__ = ["Booklet", "BookletError", "booklet_from_text", "read_booklet", "__version__"]
__version__ = "0.1.0"
