#!/usr/bin/env bash
# Rotates ONE key of an environment's application secret; every other key keeps its value.
#
#   scripts/rotate-app-secret.sh ENV_DIR KEY          new random value (48 letters and digits, from Secrets Manager)
#   scripts/rotate-app-secret.sh ENV_DIR KEY --stdin  value read from standard input (e.g. a vendor's API key)
#
# ENV_DIR is the environment's Terraform root (make rotate-secret passes it); its state names the secret.
# Terraform generated the values once and never writes them again, so rotation is this explicit, per-key step.
# The value being replaced moves to KEY_previous in the same secret, so services get both (KEY and
# KEY_PREVIOUS in their environment file) and can still decrypt or verify what the old value protected: re-encrypt
# that data before rotating the same key again, which overwrites KEY_previous. Running services pick the new
# values up within about 5 minutes (their <service>-secrets timer restarts them when a value changed), or at
# once with `systemctl start <service>-secrets` on the instance. No value is printed, logged or passed on a
# command line.
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
[[ $key != *_previous ]] || fail "$key holds the value before the last rotation of ${key%_previous}; rotate that key"
[ -d "$env_dir" ] || fail "no Terraform root at $env_dir"

secret_arn=$("${TF:-terraform}" -chdir="$env_dir" output -raw app_secret_arn) ||
  fail "terraform output app_secret_arn failed in $env_dir (run terraform init there; the environment must be applied)"
arn_pattern='^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$'
[[ $secret_arn =~ $arn_pattern ]] || fail "app_secret_arn is not a Secrets Manager secret ARN"
region=${BASH_REMATCH[1]}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aws secretsmanager get-secret-value --region "$region" --secret-id "$secret_arn" \
  --output json > "$work/read" || fail "cannot read $secret_arn"
jq -j '.SecretString // ""' "$work/read" > "$work/current"
read_version=$(jq -r '.VersionId // ""' "$work/read")
rm -f "$work/read"
if ! jq -e --arg key "$key" 'type == "object" and has($key)' "$work/current" > /dev/null 2>&1; then
  keys=$(jq -r 'if type == "object" then keys | join(", ") else "none: the value is not a JSON object" end' \
    "$work/current" 2> /dev/null || echo "none: the value is not JSON")
  fail "the application secret has no key '$key' (keys: $keys); nothing changed"
fi

if [ "$from_stdin" = true ]; then
  IFS= read -r value || true
  value=${value%$'\r'}
else
  value=$(aws secretsmanager get-random-password --region "$region" --password-length 48 \
    --exclude-punctuation --query RandomPassword --output text) || fail "get-random-password failed"
fi
[ -n "$value" ] || fail "refusing an empty value; nothing changed"

# The value reaches jq through its environment, never its arguments (visible to every user in ps).
NEW_VALUE=$value jq -cj --arg key "$key" '.[$key + "_previous"] = .[$key] | .[$key] = env.NEW_VALUE' \
  "$work/current" > "$work/next"
version=$(aws secretsmanager put-secret-value --region "$region" --secret-id "$secret_arn" \
  --secret-string "file://$work/next" --query VersionId --output text) || fail "put-secret-value failed"

# Secrets Manager has no conditional write: if another write landed between our read and our write, the version
# we read is no longer the one our write replaced (AWSPREVIOUS), and that other write's values were undone.
stages=$(aws secretsmanager describe-secret --region "$region" --secret-id "$secret_arn" \
  --query "VersionIdsToStages.\"$read_version\"" --output text) || fail "describe-secret failed after the write"
stages=${stages//$'\t'/ }
if [[ " $stages " != *" AWSPREVIOUS "* ]]; then
  fail "another write reached $secret_arn while rotating '$key' (version $read_version is not AWSPREVIOUS): check the current value, its other keys may be stale"
fi

echo "rotated '$key' of $secret_arn: version $version is AWSCURRENT; the old value is kept as '${key}_previous'"
echo "services reading it pick it up within about 5 minutes, or at once: systemctl start <service>-secrets"
