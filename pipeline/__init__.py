"""parks: text mining of the research literature on China's overseas industrial parks.

The library never imports Prefect; `flows/` orchestrates it.
"""

__version__ = "0.1.0"

from pipeline.stages import extract_document, extract_text  # noqa: E402

__all__ = ["__version__", "extract_document", "extract_text"]
