"""adopt: take over a live deployment (hand-written, or from an older tfgen) without replacing what holds data.

Stages: `state` reads a state (hostile input, bounded); `declared` lists the resource instances tfgen's tree
declares for an environment with their identity values, computed from the spec; `match` pairs the two by type
and identity (never by address alone); `plan` turns the pairs into `moved`/`import`/`removed` blocks and the
report; `record` keeps the blocks under specs/adoption/ so that render writes adopt.tf.
"""
