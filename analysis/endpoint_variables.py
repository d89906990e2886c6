"""Which endpoint variables are outcomes: what a statistician looks at first when endpoints change.

Responses, events and deaths, grades and study status. The dates and durations that move with them
(ADT, AVAL, LSTALVDT, ...) follow. Shared by the report's "Since the previous export" section and
`warehouse changes`; no imports, so the CLI stays quick.
"""

OUTCOME_VARIABLES = ("AVALC", "CNSR", "EVNTDESC", "CNSDTDSC", "AETOXGR", "DTHFL", "EOTSTT", "EOSSTT")
