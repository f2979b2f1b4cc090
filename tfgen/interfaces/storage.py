"""storage: the uploads bucket, the application secret (values never in state) and per-service log groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, Validation, out, section, var, wired
from tfgen.interfaces.common import common_vars

if TYPE_CHECKING:
    from tfgen.model.views import Spec


def interface(env: dict[str, Any]) -> ModuleInterface:
    spec: Spec = env["spec"]
    storage = spec.storage
    return ModuleInterface(
        name="storage",
        title="Storage",
        description="Uploads bucket (bucket_prefix, versioning, SSE-S3, public access block, TLS-only bucket "
                    "policy, CORS for the frontend origins, lifecycle to Standard-IA and expiry of noncurrent "
                    "versions), the application secret whose values are generated once by an ephemeral resource "
                    "and written through a write-only argument (never stored in state; the version is labelled "
                    "tfgen-generated, and a precondition refuses to overwrite values Terraform did not write), "
                    "and a CloudWatch log group per service.",
        variables=(
            *common_vars(env),
            wired("service_names", "set(string)", "Services that get a log group.", "keys(local.services)"),
            var("uploads_force_destroy", "bool", "Let `terraform destroy` delete a non-empty uploads bucket "
                "(false in production).", not spec.environment.production),
            var("cors_allowed_origins", "list(string)", "Origins allowed to upload from the browser (CORS).",
                env["cors_origins"],
                checks.each_matches("cors_allowed_origins", "^https?://[^/]+$",
                                    "Every CORS origin must be a scheme and host such as https://example.com.")),
            var("ia_transition_days", "number", "Days before objects move to Standard-IA.",
                storage.ia_transition_days, checks.between("ia_transition_days", 30, 36500,
                                                              " (S3 needs at least 30)")),
            var("noncurrent_expiration_days", "number", "Days before noncurrent object versions are deleted.",
                storage.noncurrent_expiration_days, checks.between("noncurrent_expiration_days", 1, 36500)),
            var("secret_recovery_window_days", "number", "Secrets Manager recovery window in days (0 or 7-30).",
                storage.secret_recovery_window_days,
                Validation("contains(concat([0], range(7, 31)), var.secret_recovery_window_days)",
                           "secret_recovery_window_days must be 0 (delete at once) or from 7 to 30.")),
            var("app_secret_name", "string", "Name of an adopted application secret, kept with its values (null: "
                "tfgen creates the secret and generates its values once).", storage.app_secret_name,
                checks.unless_null("app_secret_name", 'can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.app_secret_name))',
                                   "app_secret_name must be a Secrets Manager secret name."),
                nullable=True),
            var("app_secret_keys", "list(string)", "Keys of the application secret, generated once.",
                list(storage.app_secret_keys),
                Validation("length(var.app_secret_keys) > 0", "app_secret_keys needs at least one key."),
                checks.each_matches("app_secret_keys", "^[a-z][a-z0-9_]*$",
                                    "Secret keys must be lowercase letters, digits and underscores.")),
            var("log_retention_days", "number", "Retention of the service log groups in days.",
                spec.logs.retention_days, checks.RETENTION),
        ),
        outputs=(
            *section(
                "Uploads bucket",
                out("uploads_bucket_name", "Name of the uploads bucket.", "aws_s3_bucket.uploads.id", export=True),
                out("uploads_bucket_arn", "ARN of the uploads bucket.", "aws_s3_bucket.uploads.arn"),
            ),
            *section(
                "Application secret",
                out("app_secret_arn", "ARN of the application secret (values are fetched at boot, never output); "
                    "available once the secret has its first value.", "aws_secretsmanager_secret.app.arn",
                    export=True, depends_on=("aws_secretsmanager_secret_version.app",)),
                out("app_secret_name", "Name of the application secret.", "aws_secretsmanager_secret.app.name",
                    export=True, export_name="app_secrets_name"),
            ),
            *section(
                "CloudWatch log groups",
                out("log_group_names", "CloudWatch log group name by service.",
                    "{ for name, group in aws_cloudwatch_log_group.service : name => group.name }", export=True),
                out("log_group_arns", "CloudWatch log group ARN by service.",
                    "{ for name, group in aws_cloudwatch_log_group.service : name => group.arn }"),
            ),
        ),
    )
