#!/usr/bin/env bash
# deploy.sh checks the deployment files of deploy/:
#
#   1. the KServe manifests against KServe's own CRD schemas, from the
#      github.com/kserve/kserve Go module (go test ./deploy; no cluster);
#   2. the OCI image: deploy/build-image.sh builds it with buildah (offline:
#      FROM scratch, no RUN), and deploy's TestImage runs it once with
#      podman as the ClusterServingRuntime would (its arguments, the model
#      at /mnt/models read-only, read-only root filesystem, non-root, no
#      capabilities), checking probes, REST and gRPC inference and a clean
#      SIGTERM.
#
# Images live in a throwaway storage root (vfs driver), so nothing is left
# behind. The container runs under runc with the host network and lowered
# open-file and process limits: crun refuses hosts with hybrid cgroups, and
# without CAP_SYS_RESOURCE podman's default limits cannot be set (see
# docs/deploy.md). Without buildah and podman the image step is skipped
# outside CI and fails in CI (tools/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."

go test -count=1 ./deploy

if ! command -v buildah >/dev/null || ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	if [ -n "${CI:-}" ]; then
		echo "deploy: buildah, podman and runc are needed to build and run the image (tools/setup.sh installs them)" >&2
		exit 1
	fi
	echo "deploy: buildah, podman or runc missing: image not built (apt-get install buildah podman runc)" >&2
	exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
storage="--root $root/storage --runroot $root/run --storage-driver vfs"
LATENT_BUILDAH_FLAGS="$storage" bash deploy/build-image.sh -t localhost/latent:ci
LATENT_IMAGE=localhost/latent:ci LATENT_PODMAN_FLAGS="$storage --runtime runc --cgroup-manager cgroupfs --events-backend none" \
	LATENT_PODMAN_RUN_FLAGS="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096" \
	go test -count=1 -run '^TestImage$' -v ./deploy | grep -E '^(---|ok|FAIL|\s+image_test)' || { echo "deploy: TestImage failed" >&2; exit 1; }
