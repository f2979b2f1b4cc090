"""The output stage: compare the rendered tree with disk and the manifest, then write, prune or refuse.

safeio (no read or write follows a link), writer (plan and apply a sync of the tree).
"""
