#!/usr/bin/env bash
# Rotates ONE key of an environment's application secret; every other key keeps its value.
#
#   scripts/rotate-app-secret.sh ENV_DIR KEY          new random value (48 letters and digits, from Secrets Manager)
#   scripts/rotate-app-secret.sh ENV_DIR KEY --stdin  value read from standard input (e.g. a vendor's API key)
#
# ENV_DIR is the environment's Terraform root (make rotate-secret passes it); its state names the secret.
# Terraform generated the values once and never writes them again, so rotation is this explicit, per-key step.
# The old value stays readable as the version labelled AWSPREVIOUS: after rotating an encryption key, re-encrypt
# the existing data with it before the next rotation. Running services pick the new value up within about
# 10 minutes (their <service>-secrets timer restarts them when a value changed), or at once with
# `systemctl start <service>-secrets` on the instance. No value is printed, logged or passed on a command line.
set -euo pipefail
umask 077

usage() {
  echo "usage: $0 ENV_DIR KEY [--stdin]" >&2
  exit 2
}
fail() {
  echo "rotate-app-secret: $*" >&2
  exit 1
}

if [ "$#" -eq 2 ]; then
  from_stdin=false
elif [ "$#" -eq 3 ] && [ "$3" = --stdin ]; then
  from_stdin=true
else
  usage
fi
env_dir=$1
key=$2
[[ $key =~ ^[a-z][a-z0-9_]*$ ]] || fail "KEY must be one of the secret's keys (lowercase letters, digits, _)"
[ -d "$env_dir" ] || fail "no Terraform root at $env_dir"

secret_arn=$("${TF:-terraform}" -chdir="$env_dir" output -raw app_secret_arn) ||
  fail "terraform output app_secret_arn failed in $env_dir (run terraform init there; the environment must be applied)"
arn_pattern='^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$'
[[ $secret_arn =~ $arn_pattern ]] || fail "app_secret_arn is not a Secrets Manager secret ARN"
region=${BASH_REMATCH[1]}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aws secretsmanager get-secret-value --region "$region" --secret-id "$secret_arn" \
  --query SecretString --output text > "$work/current" || fail "cannot read $secret_arn"
if ! jq -e --arg key "$key" 'type == "object" and has($key)' "$work/current" > /dev/null 2>&1; then
  keys=$(jq -r 'if type == "object" then keys | join(", ") else "none: the value is not a JSON object" end' \
    "$work/current" 2> /dev/null || echo "none: the value is not JSON")
  fail "the application secret has no key '$key' (keys: $keys); nothing changed"
fi

if [ "$from_stdin" = true ]; then
  IFS= read -r value || true
else
  value=$(aws secretsmanager get-random-password --region "$region" --password-length 48 \
    --exclude-punctuation --query RandomPassword --output text) || fail "get-random-password failed"
fi
[ -n "$value" ] || fail "refusing an empty value; nothing changed"

# The value reaches jq through its environment, never its arguments (visible to every user in ps).
NEW_VALUE=$value jq -c --arg key "$key" '.[$key] = env.NEW_VALUE' "$work/current" > "$work/next"
version=$(aws secretsmanager put-secret-value --region "$region" --secret-id "$secret_arn" \
  --secret-string "file://$work/next" --query VersionId --output text) || fail "put-secret-value failed"

echo "rotated '$key' of $secret_arn: version $version is AWSCURRENT; the previous value stays readable as AWSPREVIOUS"
echo "services reading it pick it up within about 10 minutes, or at once: systemctl start <service>-secrets"
