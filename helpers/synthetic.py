"""Small seeded synthetic data sets, with their units documented.

Every generator takes a ``seed`` and returns tensors, so a lesson's numbers
repeat exactly.
"""

from __future__ import annotations

import torch
