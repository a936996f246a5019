"""Bangkok Innovation Center matcher: links BMA pain points to innovators in Thai and English.

The library is quiet by default: it only attaches a NullHandler, so the application decides
what to log and where.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
