#!/usr/bin/env bash
# Demo fixture: the registry password below is fake.
set -euo pipefail
docker login ghcr.io -u enclii-bot -p Enc1iiRegistryT0ken
kubectl apply -k infra/k8s/overlays/production
