#!/usr/bin/env python3
"""Renders a Kustomize overlay and checks every object against the Kubernetes,
Istio and prometheus-operator schemas, refusing unknown fields
(tests/deploy/schema/validate.mjs; its npm packages are installed by
scripts/bootstrap from tests/deploy/schema/package-lock.json).

Usage: check_schemas.py [--kubectl K] OVERLAY_DIR   (exit 0 valid, 1 not)
"""
import argparse
import json
import os
import subprocess
import sys

import yaml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubectl", default="kubectl")
    parser.add_argument("overlay")
    args = parser.parse_args()
    rendered = subprocess.run([args.kubectl, "kustomize", args.overlay], check=True,
                              capture_output=True, text=True, timeout=120).stdout
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    validator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "validate.mjs")
    result = subprocess.run(["node", validator], input=json.dumps(objects), text=True, timeout=120)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
