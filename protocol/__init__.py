"""The HourBridge operating standard as code.

Pure: no database, no HTTP, no clock reads. Time is always passed in by the caller.
`node/` imports this package; this package never imports `node/`.
"""
