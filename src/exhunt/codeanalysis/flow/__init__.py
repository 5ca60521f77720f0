"""Flows from request data, through decoders and ciphers, to what a shell does with it.

`unit.UnitFlow` follows one parsed unit; each pass it runs lives in a module of its own (see
`unit.py` for the order of the passes).
"""

from exhunt.codeanalysis.flow.unit import NARROW_FROM, PROPAGATION_ROUNDS, PageScope, UnitFlow, run_together

__all__ = ["NARROW_FROM", "PROPAGATION_ROUNDS", "PageScope", "UnitFlow", "run_together"]
