"""The cost stage: a monthly estimate per environment from a dated price table.

fields (the spec's `cost` block), pricing (the table), estimate (line items), report (README and diff rows).
"""
