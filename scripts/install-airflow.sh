#!/usr/bin/env bash
# Apache Airflow with the Docker and Kubernetes providers, in a virtualenv of its own: its pins
# clash with JupyterLab's, and the tests only need its `airflow` command and interpreter to load
# and run the DAGs `cellops export --to airflow` writes.
#
# usage: scripts/install-airflow.sh VENV     (PYTHON=python3.X to choose the interpreter)
# Installs only what is missing or at another version, so running it again is cheap.
set -euo pipefail

venv=${1:?usage: scripts/install-airflow.sh VENV}
python=${PYTHON:-python3}

# Versions that install together (the providers' own Airflow requirements are met by 3.3.2).
pins=(
  "apache-airflow==3.3.2"
  "apache-airflow-providers-docker==4.6.1"
  "apache-airflow-providers-cncf-kubernetes==10.25.0"
)

installed() {
  [ -x "$venv/bin/python" ] || return 1
  "$venv/bin/python" - "${pins[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
}

if installed; then
  echo "airflow is installed in $venv"
  exit 0
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
echo "installing ${pins[*]} into $venv"
"$venv/bin/python" -m pip install --quiet "${pins[@]}"
installed || { echo "install-airflow: $venv does not hold ${pins[*]} after pip install" >&2; exit 1; }
"$venv/bin/airflow" version
