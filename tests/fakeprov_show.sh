#!/usr/bin/env bash
# The JSON plan (terraform show -json) of a root module DIR on the fake aws 6.69.1 provider: fakeprov's lib.sh
# set-up (work dir, backend override, init), then plan -out and show -json.
#   usage: FAKEPROV_DIR=... FAKEPROV_CACHE=... fakeprov_show.sh DIR
set -uo pipefail
source "$FAKEPROV_DIR/lib.sh"
fp_setup "$1"
fp_override backend "terraform {
  backend \"local\" {
    path = \"$WORK/terraform.tfstate\"
  }
}"
fp_init -reconfigure
"$TF" -chdir="$DIR" plan -input=false -lock=false -no-color -out="$WORK/review.tfplan" >"$WORK/review.log" 2>&1 || { cat "$WORK/review.log" >&2; exit 1; }
"$TF" -chdir="$DIR" show -json "$WORK/review.tfplan"
