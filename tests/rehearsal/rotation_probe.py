"""Rehearsal probe: rotate one application-secret key the way an operator does, against the emulator.

Runs under the emulator's venv (boto3 and the real AWS CLI are there). It reads the applied root's
``app_secret_arn``, runs ``scripts/rotate-app-secret.sh`` on the root (real bash, jq, terraform and aws CLI),
then checks what Secrets Manager holds: only the rotated key's value changed (its old value is now
``<key>_previous``), and the version Terraform wrote still exists with its ``tfgen-generated`` label while the
new version is ``AWSCURRENT``. The harness then
requires an empty plan: Terraform neither undoes the rotation nor writes the generated values again.
With ``drop-label`` it takes the label off and records the version (the harness then requires plans to stop
at the storage module's precondition); ``relabel`` puts it back, the last step of the recovery the
precondition's message gives after the harness restored the state.

Values are compared by digest and never printed. Exit status 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

GENERATED_LABEL = "tfgen-generated"


def snapshot(client, arn: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Digest of each key's current value, and the labels of every version."""
    value = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    digests = {key: hashlib.sha256(str(item).encode()).hexdigest() for key, item in value.items()}
    versions = client.list_secret_version_ids(SecretId=arn, IncludeDeprecated=True)["Versions"]
    return digests, {v["VersionId"]: sorted(v.get("VersionStages", [])) for v in versions}


def labelled(labels: dict[str, list[str]], label: str) -> list[str]:
    return sorted(version for version, stages in labels.items() if label in stages)


def problems(before: tuple[dict[str, str], dict[str, list[str]]], after: tuple[dict[str, str], dict[str, list[str]]],
             key: str) -> list[str]:
    """What the rotation got wrong (empty when it did exactly one key and kept Terraform's version)."""
    found = []
    (old_values, old_labels), (new_values, new_labels) = before, after
    kept = f"{key}_previous"
    if set(new_values) != set(old_values) | {kept}:
        found.append(f"the keys changed: {sorted(old_values)} -> {sorted(new_values)} (only {kept!r} may be added)")
    changed = sorted(k for k in old_values if old_values[k] != new_values.get(k) and k != kept)
    if changed != [key]:
        found.append(f"expected only {key!r} to change, changed: {changed}")
    if new_values.get(kept) != old_values.get(key):
        found.append(f"{kept!r} does not hold the value {key!r} had before the rotation")
    generated = labelled(old_labels, GENERATED_LABEL)
    if len(generated) != 1:
        found.append(f"before the rotation, {len(generated)} versions carry {GENERATED_LABEL} (expected 1)")
    elif labelled(new_labels, GENERATED_LABEL) != generated:
        found.append(f"the version Terraform wrote lost {GENERATED_LABEL}")
    current = labelled(new_labels, "AWSCURRENT")
    if len(current) != 1 or current[0] in old_labels:
        found.append(f"AWSCURRENT should be on one new version, is on {current}")
    return found


def drop_generated_label(client, arn: str) -> str:
    """Take tfgen-generated off the version Terraform wrote: what AWS losing that version looks like to the guard."""
    _, labels = snapshot(client, arn)
    (version,) = labelled(labels, GENERATED_LABEL)
    client.update_secret_version_stage(SecretId=arn, VersionStage=GENERATED_LABEL, RemoveFromVersionId=version)
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("rotate", "drop-label", "relabel"),
                        help="rotate one key with the script; take the tfgen-generated label off (guard check) "
                             "and record the version; put it back on the recorded version (the documented fix)")
    parser.add_argument("--record", type=Path, help="JSON file naming the unlabelled version (drop-label, relabel)")
    parser.add_argument("--root", type=Path, required=True, help="applied environment root")
    parser.add_argument("--script", type=Path, required=True, help="scripts/rotate-app-secret.sh")
    parser.add_argument("--endpoint", required=True, help="emulator URL")
    args = parser.parse_args(argv)
    env = {**os.environ, "AWS_ENDPOINT_URL": args.endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    arn = subprocess.run(["terraform", "output", "-raw", "app_secret_arn"], cwd=args.root, env=env,
                         capture_output=True, text=True, check=True, timeout=120).stdout.strip()
    import boto3  # only in the emulator's venv; the checks above are importable without it

    client = boto3.client("secretsmanager", region_name=arn.split(":")[3], endpoint_url=args.endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    if args.action == "drop-label":
        version = drop_generated_label(client, arn)
        args.record.write_text(json.dumps({"arn": arn, "version": version}))
        print(f"took {GENERATED_LABEL} off version {version} of {arn}")
        return 0
    if args.action == "relabel":
        version = json.loads(args.record.read_text())["version"]
        client.update_secret_version_stage(SecretId=arn, VersionStage=GENERATED_LABEL, MoveToVersionId=version)
        print(f"put {GENERATED_LABEL} back on version {version} of {arn}")
        return 0
    before = snapshot(client, arn)
    key = sorted(before[0])[0]
    print(f"rotating {key!r} of {arn} with {args.script.name}", flush=True)
    rotated = subprocess.run(["bash", str(args.script), str(args.root), key], env=env, timeout=300)
    if rotated.returncode != 0:
        print(f"{args.script.name} failed (rc={rotated.returncode})")
        return 1
    found = problems(before, snapshot(client, arn), key)
    for problem in found:
        print(f"PROBLEM: {problem}")
    if not found:
        print(f"only {key!r} changed; the version Terraform wrote keeps {GENERATED_LABEL}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
