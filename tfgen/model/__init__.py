"""The spec model: field types (schema), the one definition of the spec (definition) and its JSON Schema file."""
