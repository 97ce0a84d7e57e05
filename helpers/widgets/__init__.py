"""The interactive explorers the lessons embed (built on ipywidgets).

Each explorer is a function returning an ``ipywidgets.interactive``: its
keyword controls are the knobs, and its ``.result`` after each update is what
that run computed (a history dict for the training explorers), so tests can
set a control's value and check the result without a browser. This package may
use ``helpers.train``, ``helpers.plot`` and ``helpers.data``; they never import it.
"""
