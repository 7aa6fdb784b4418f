"""Minuku (見抜く): tells whether a mail's sender is who it claims to be.

The package is a pipeline of plain data: ``message`` parses, ``auth`` verifies, ``lookalike``
and ``claims`` find impersonation, ``verdict`` decides and ``banner`` renders. Imports here stay
light because Thunderbird starts the host for every session.
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
