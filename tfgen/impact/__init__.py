"""The impact stage: what a change does to an environment's resources, and whether it was acknowledged.

compare (findings and acknowledgements), resources (the resources a spec declares), diff (planned actions
between two specs), report (text and JSON).
"""
