"""Stage 1: read YAML specs (safe loader, duplicate keys refused), resolve `extends:` chains, deep-merge, and
remember the file:line of every value. Values are never interpreted here.

document (paths, LoadedSpec), yamlread (one file), loader (chains, environments), text (unsafe characters).
"""

from tfgen.spec.document import Layer, LoadedSpec, Path_, flatten, format_path
from tfgen.spec.loader import (
    ENV_NAME_RE,
    check_env_name,
    deep_merge,
    list_environments,
    load_chain,
    load_spec,
    merge_layers,
    misnamed_specs,
    read_layers,
    spec_path_for,
)
from tfgen.spec.yamlread import MAX_DEPTH, MAX_NODES, MAX_SPEC_BYTES, read_document

__all__ = ["ENV_NAME_RE", "MAX_DEPTH", "MAX_NODES", "MAX_SPEC_BYTES", "Layer", "LoadedSpec", "Path_",
           "check_env_name", "deep_merge", "flatten", "format_path", "list_environments", "load_chain",
           "load_spec", "merge_layers", "misnamed_specs", "read_document", "read_layers", "spec_path_for"]
