"""Transition shim: the estimator moved to the package calculator.estimator (issue 9).

app_pages/ still imports `calculator.estimate` (and its old private `_headline`); this module re-exports the
package's public surface for it and will be deleted when app_pages moves to `calculator.estimator`.
Everything else imports `calculator.estimator` directly.
"""

from __future__ import annotations

from calculator.estimator import *  # noqa: F403
from calculator.estimator import __all__ as _estimator_all
from calculator.estimator import summarise_headline

_headline = summarise_headline  # the old private name app_pages/hardware.py calls

__all__ = list(_estimator_all)
