"""Size limits of the wire protocol, in a module that imports nothing.

``wire`` (the pydantic models) re-exports them; the host's request loop reads them from here so
that answering the first ``ping`` never waits on pydantic (issue 10: cold start).
"""

# A message over this size (decoded) is answered with the error code "message_too_large".
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
# Incoming frame cap: the base64 of MAX_MESSAGE_BYTES plus room for the JSON around it.
MAX_FRAME_BYTES = MAX_MESSAGE_BYTES * 4 // 3 + 64 * 1024
# Host → add-on frames must stay under 1 MB (Thunderbird's cap).
MAX_OUTGOING_FRAME_BYTES = 1024 * 1024 - 1
# A request id: 1 to this many characters of valid Unicode (echoed in the answer).
MAX_ID_CHARS = 64
