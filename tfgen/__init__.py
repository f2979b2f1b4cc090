"""tfgen: one YAML spec per environment in, a complete terraform-fmt-canonical Terraform tree out."""

# The one place the version is written: pyproject.toml reads it (dynamic version), so do the wheel, the sdist,
# `tfgen --version`, the generated README's header and the release tag (CHANGELOG.md's top entry must match).
__version__ = "0.3.0"
