"""tfgen: one YAML spec per environment in, a complete terraform-fmt-canonical Terraform tree out."""

__version__ = "0.2.0"
