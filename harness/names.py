"""The one rule for a name: a workload, size, language, variant, profile, state, scenario or mode
becomes a folder, an argument, a label in a terminal table (rich markup) and in a figure
(matplotlib mathtext), and a part of a cache key. Lowercase letters, digits and '-', starting
with a letter or digit, at most 64 characters: nothing in it can climb a folder, start an option,
open markup or mathtext, or move a terminal's cursor. Manifests, results files, suites and
results headers are all held to it."""

from __future__ import annotations

import re

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
RULE = "lowercase letters, digits and '-', at most 64, starting with a letter or digit"


def is_name(value: object) -> bool:
    return isinstance(value, str) and NAME.fullmatch(value) is not None
